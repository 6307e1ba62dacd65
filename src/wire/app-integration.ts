import type { AppIntegrationRow } from "../db/schema";
import { findTemplate } from "../catalog/catalog";
import { EVERYTHING_OFFERED } from "../catalog/template";

/** GET /api/v1/apps/{appId}/integration (provisio extension): what the app was made from and what it offers. */
export function appIntegrationJson(appId: string, row: AppIntegrationRow | undefined, base: string) {
  const template = row?.catalogName ? findTemplate(row.catalogName) : undefined;
  const draft = row?.provisioningDraft ?? null;
  return {
    appId,
    catalog: row?.catalogName
      ? { name: row.catalogName, version: row.catalogVersion, displayName: template?.displayName ?? row.catalogName }
      : null,
    clonedFrom: row?.clonedFrom ?? null,
    offered: row?.offered ?? EVERYTHING_OFFERED,
    // Applied when the app's connection is first saved; never holds credentials.
    provisioningDraft: draft && {
      baseUrl: draft.baseUrl,
      authScheme: draft.authScheme,
      capabilities: draft.capabilities,
      requestsPerSecond: draft.requestsPerSecond,
      importSettings: draft.inbound !== null,
    },
    _links: {
      app: { href: `${base}/api/v1/apps/${appId}` },
      ...(row?.clonedFrom ? { clonedFrom: { href: `${base}/api/v1/apps/${row.clonedFrom}` } } : {}),
      ...(template?.provisioning?.documentation ? { documentation: { href: template.provisioning.documentation } } : {}),
    },
  };
}
