import { DomainError } from "../domain/errors";
import type { InboundSettings } from "../imports/inbound-settings";
import { mergeCustomAttributes, type AttributeDef } from "../mappings/app-user-schema";
import { parseExpression } from "../mappings/expression-language";
import type { UserProvisioningCapabilities } from "../provisioning/capabilities";
import { fillTemplate, type AuthScheme, type IntegrationTemplate, type OfferedFeatures } from "./template";

type Json = Record<string, unknown>;

/**
 * Provisioning options waiting for an app's first connection: they are applied when the SCIM
 * connection is saved, since provisioning cannot run before its credentials are entered.
 */
export interface ProvisioningDraft {
  capabilities: UserProvisioningCapabilities;
  inbound: InboundSettings | null;
  requestsPerSecond: number | null;
  /** Prefills the connection form; the request that saves the connection gives the real one. */
  baseUrl: string | null;
  authScheme: AuthScheme | null;
}

/** An app made from a template: its settings, and what goes with it (schema, mappings, integration). */
export interface TemplateInstance {
  settings: Json;
  custom: Record<string, AttributeDef>;
  mappings: Record<string, { expression: string; pushStatus: "PUSH" | "DONT_PUSH" }>;
  offered: OfferedFeatures;
  draft: ProvisioningDraft | null;
}

const NOTHING_OFFERED: OfferedFeatures = {
  toApp: { create: false, profile: false, deactivate: false, password: false },
  toOkta: false,
  groupPush: false,
  authSchemes: ["TOKEN"],
};

const asObject = (value: unknown): Json => (value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : {});

/**
 * Checks an instance's settings against its template and builds the app: the sign-on mode must
 * be one the template supports, and every setting it accepts is checked (required, pattern).
 * Every problem is reported at once as one E0000001.
 */
export function instantiate(template: IntegrationTemplate, signOnMode: string, inputSettings: Json | undefined): TemplateInstance {
  const causes: string[] = [];
  if (!(template.signOnModes as string[]).includes(signOnMode)) {
    causes.push(`signOnMode: ${template.displayName} (${template.name}) supports ${template.signOnModes.join(", ")}`);
  }
  const app = { ...asObject(inputSettings?.app) };
  const values: Record<string, string> = {};
  for (const [key, setting] of Object.entries(template.settings)) {
    const value = app[key];
    if (value === undefined || value === null || value === "") {
      if (setting.required)
        causes.push(`settings.app.${key}: required (${setting.title}${setting.example ? `, for example ${setting.example}` : ""})`);
      continue;
    }
    if (typeof value !== "string") {
      causes.push(`settings.app.${key}: must be a string`);
      continue;
    }
    if (setting.pattern && !new RegExp(`^(?:${setting.pattern})$`).test(value)) {
      causes.push(
        `settings.app.${key}: "${value.slice(0, 100)}" is not a valid ${setting.title}${setting.example ? ` (for example ${setting.example})` : ""}`,
      );
      continue;
    }
    values[key] = value;
  }
  if (causes.length > 0) throw DomainError.validation("settings", ...causes);

  const signOn: Json = {};
  for (const [key, value] of Object.entries(template.signOn[signOnMode] ?? {})) {
    const filled = fillTemplate(value, values);
    if (filled !== undefined) signOn[key] = filled;
  }
  // A bookmark opens settings.app.url: the template's app URL unless the request gave one.
  const appUrl = fillTemplate(template.baseUrl, values);
  if (signOnMode === "BOOKMARK" && typeof app.url !== "string") {
    if (appUrl === undefined) throw DomainError.validation("settings", "settings.app.url: required for BOOKMARK apps");
    app.url = appUrl;
  }
  const settings: Json = { ...asObject(inputSettings), app, signOn: { ...signOn, ...asObject(inputSettings?.signOn) } };
  const provisioning = template.provisioning;
  const scimBaseUrl = (provisioning?.scimBaseUrl && fillTemplate(provisioning.scimBaseUrl, values)) || null;
  const offered = provisioning?.offered ?? NOTHING_OFFERED;
  return {
    settings,
    custom: mergeCustomAttributes({}, template.appUserSchema).next,
    mappings: Object.fromEntries(
      Object.entries(template.mappings).map(([attribute, mapping]) => {
        parseExpression(mapping.expression);
        return [attribute, mapping];
      }),
    ),
    offered,
    draft: provisioning
      ? {
          capabilities: provisioning.defaults,
          inbound: null,
          requestsPerSecond: null,
          baseUrl: scimBaseUrl,
          authScheme: offered.authSchemes[0],
        }
      : null,
  };
}

/** The To App capabilities an app's template does not offer but `capabilities` turns on. */
export function unofferedCapabilities(offered: OfferedFeatures, capabilities: UserProvisioningCapabilities): string[] {
  const on = (toggle: { status: string }) => toggle.status === "ENABLED";
  const refused: string[] = [];
  if (on(capabilities.create.lifecycleCreate) && !offered.toApp.create) refused.push("create.lifecycleCreate");
  if (on(capabilities.update.profile) && !offered.toApp.profile) refused.push("update.profile");
  if (on(capabilities.update.lifecycleDeactivate) && !offered.toApp.deactivate) refused.push("update.lifecycleDeactivate");
  if (on(capabilities.update.password) && !offered.toApp.password) refused.push("update.password");
  return refused;
}

/**
 * Where an instance's users sign in (the template's base URL with the instance's settings), or
 * undefined when its settings no longer fill the template (changed by a PUT, say).
 */
export function launchUrlFor(template: IntegrationTemplate, settings: Json): string | undefined {
  const app = asObject(settings.app);
  const values: Record<string, string> = {};
  for (const [key, setting] of Object.entries(template.settings)) {
    const value = app[key];
    if (typeof value !== "string" || (setting.pattern && !new RegExp(`^(?:${setting.pattern})$`).test(value))) {
      if (setting.required) return undefined;
      continue;
    }
    values[key] = value;
  }
  return fillTemplate(template.baseUrl, values);
}
