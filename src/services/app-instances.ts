import type { DB } from "../db/client";
import type { AppRow } from "../db/schema";
import { getIntegration } from "../db/queries/app-integrations";
import { getAppUserSchema } from "../db/queries/app-user-schemas";
import { getMappingForApp } from "../db/queries/mappings";
import { getProvisioning } from "../db/queries/provisioning";
import { EVERYTHING_OFFERED } from "../catalog/template";
import type { ProvisioningDraft } from "../catalog/instance";
import type { AuditContext } from "../audit/system-log";
import type { ApplicationInput } from "../wire/app";
import { insertNewApp, instanceName } from "./apps";

type Json = Record<string, unknown>;

export interface CloneRequest {
  label: string;
  visibility?: Json;
}

/**
 * A separate instance of an app (Okta's "create a duplicate app instance", typically one used
 * only for provisioning next to the SSO instance): the same template, sign-on settings, app-user
 * schema, mappings and provisioning options, and nothing that belongs to the first instance:
 * no assignments, no Group Push mappings, no OAuth grants, and no secrets (the shared password
 * and the SCIM connection's credentials are not copied; provisioning starts once the new
 * instance's connection is entered).
 */
export async function cloneApp(env: Env, db: DB, source: AppRow, request: CloneRequest, activate: boolean, audit?: AuditContext) {
  const [integration, schema, mapping, provisioning] = await Promise.all([
    getIntegration(db, source.id),
    getAppUserSchema(db, source.id),
    getMappingForApp(db, source.id),
    getProvisioning(db, source.id),
  ]);
  const draft: ProvisioningDraft | null = provisioning
    ? {
        capabilities: provisioning.capabilities,
        inbound: provisioning.inbound,
        requestsPerSecond: provisioning.requestsPerSecond,
        baseUrl: provisioning.baseUrl,
        authScheme: provisioning.authScheme,
      }
    : (integration?.provisioningDraft ?? null);
  return insertNewApp(env, db, cloneInput(source, request), {
    name: await instanceName(db, source, request.label),
    activate,
    audit,
    custom: schema?.custom,
    mappings: mapping?.properties,
    integration: {
      catalogName: integration?.catalogName ?? null,
      catalogVersion: integration?.catalogVersion ?? null,
      clonedFrom: source.id,
      offered: integration?.offered ?? EVERYTHING_OFFERED,
      provisioningDraft: draft,
    },
  });
}

/** The source app as a create request, without its secrets and without its OAuth client id (the new app gets its own). */
function cloneInput(source: AppRow, request: CloneRequest): ApplicationInput {
  const { password: _sharedPassword, oauthClient, ...credentials } = source.credentials as Json & { oauthClient?: Json };
  const client = oauthClient ? Object.fromEntries(Object.entries(oauthClient).filter(([key]) => key !== "client_id")) : undefined;
  return {
    label: request.label,
    signOnMode: source.signOnMode as ApplicationInput["signOnMode"],
    settings: structuredClone(source.settings),
    credentials: { ...credentials, ...(client ? { oauthClient: client } : {}) },
    accessibility: source.accessibility,
    visibility: request.visibility ?? source.visibility,
    profile: source.profile ?? undefined,
  };
}
