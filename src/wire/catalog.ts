import type { IntegrationTemplate } from "../catalog/template";
import { logoPath } from "../catalog/logo";

/** A catalog entry as GET /api/v1/catalog/apps shows it (a provisio extension, so its own shape). */
export function catalogEntryJson(template: IntegrationTemplate, version: string, base: string) {
  return {
    name: template.name,
    displayName: template.displayName,
    description: template.description,
    categories: template.categories,
    website: template.website,
    catalogVersion: version,
    signOnModes: template.signOnModes,
    // What POST /api/v1/apps takes under settings.app for this template.
    settings: template.settings,
    baseUrl: template.baseUrl,
    signOn: template.signOn,
    provisioning: template.provisioning && {
      scimBaseUrl: template.provisioning.scimBaseUrl,
      authSchemes: template.provisioning.offered.authSchemes,
      toApp: template.provisioning.offered.toApp,
      toOkta: template.provisioning.offered.toOkta,
      groupPush: template.provisioning.offered.groupPush,
      defaults: template.provisioning.defaults,
      ...(template.provisioning.documentation ? { documentation: template.provisioning.documentation } : {}),
    },
    appUserSchema: template.appUserSchema,
    mappings: template.mappings,
    _links: {
      logo: [{ name: "medium", href: `${base}${logoPath(template.name)}`, type: "image/svg+xml" }],
      create: { href: `${base}/api/v1/apps`, hints: { allow: ["POST"] } },
    },
  };
}
