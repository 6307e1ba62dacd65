import type { DB } from "../db/client";
import type { AppProvisioningRow, AppRow } from "../db/schema";
import { getProvisioning, saveProvisioning } from "../db/queries/provisioning";
import { updateApp } from "../db/queries/apps";
import { appCoordinator } from "../coordinator/client";
import { open, seal } from "../crypto/secret-box";
import { DomainError } from "../domain/errors";
import { DEFAULT_CAPABILITIES, featuresOf, mergeCapabilities, type CapabilitiesPatch } from "../provisioning/capabilities";
import { checkDownstreamUrl, downstreamAccess } from "../provisioning/downstream-url";
import { ScimClient } from "../provisioning/scim-client";
import { checkCredentials, type CredentialTestResult } from "../provisioning/credential-check";
import { writeLog, type AuditContext } from "../audit/system-log";
import { credentialTestEvent } from "../audit/provisioning-events";
import { authorizationHeader, type StoredCredentials } from "../provisioning/settings";
import type { ConnectionRequest } from "../wire/provisioning";
import { clearProvisioningDraft, getIntegration } from "../db/queries/app-integrations";
import { unofferedCapabilities } from "../catalog/instance";

/** Okta's answer when an app has no provisioning connection yet. */
export function provisioningNotEnabled(): DomainError {
  return DomainError.validation("feature", "Provisioning is not enabled for the app instance.");
}

export async function requireProvisioning(db: DB, app: AppRow): Promise<AppProvisioningRow> {
  const row = await getProvisioning(db, app.id);
  if (!row) throw provisioningNotEnabled();
  return row;
}

const FEATURE_NAMES = { toOkta: "imports (To Okta)", groupPush: "Group Push" } as const;

/** Refuses a feature the app's template does not offer (apps not made from a template offer all). */
export async function requireOffered(db: DB, app: AppRow, feature: keyof typeof FEATURE_NAMES): Promise<void> {
  const integration = await getIntegration(db, app.id);
  if (integration && !integration.offered[feature]) {
    throw DomainError.validation("feature", `This app integration does not support ${FEATURE_NAMES[feature]}.`);
  }
}

export async function connectionUsername(env: Env, row: AppProvisioningRow): Promise<string | undefined> {
  const credentials = JSON.parse(await open(env.CREDENTIALS_KEY, row.credentialsBox)) as StoredCredentials;
  return "username" in credentials ? credentials.username : undefined;
}

/** Saves the row, keeps the app's `features` in step, and tells the app's coordinator. */
async function persist(env: Env, db: DB, app: AppRow, row: AppProvisioningRow): Promise<AppProvisioningRow> {
  await saveProvisioning(db, row);
  await updateApp(db, app.id, { features: featuresOf(row.connectionStatus === "ENABLED", row.capabilities), lastUpdated: row.lastUpdated });
  await appCoordinator(env, app.id).provisioningChanged();
  return row;
}

/**
 * POST /apps/{appId}/connections/default: the SCIM base URL and credentials (sealed, never
 * returned). Credentials may be left out to keep the stored ones.
 */
export async function saveConnection(
  env: Env,
  db: DB,
  app: AppRow,
  input: ConnectionRequest,
  activate: boolean | undefined,
): Promise<AppProvisioningRow> {
  const url = checkDownstreamUrl(input.baseUrl, downstreamAccess(env.DOWNSTREAM_ACCESS));
  const current = await getProvisioning(db, app.id);
  const previous = current ? (JSON.parse(await open(env.CREDENTIALS_KEY, current.credentialsBox)) as StoredCredentials) : undefined;
  const integration = await getIntegration(db, app.id);
  if (integration && !integration.offered.authSchemes.includes(input.profile.authScheme)) {
    throw DomainError.validation(
      "profile.authScheme",
      `profile.authScheme: this app integration authenticates with ${integration.offered.authSchemes.join(" or ")}`,
    );
  }
  let credentials: StoredCredentials;
  if (input.profile.authScheme === "TOKEN") {
    const token = input.profile.token ?? (previous && "token" in previous ? previous.token : undefined);
    if (!token) throw DomainError.validation("profile.token", "profile.token: required");
    credentials = { token };
  } else if (input.profile.authScheme === "HEADER") {
    const header = input.profile.token ?? (previous && "header" in previous ? previous.header : undefined);
    if (!header) throw DomainError.validation("profile.token", "profile.token: required");
    credentials = { header };
  } else {
    const password =
      input.profile.password ??
      (previous && "password" in previous && previous.username === input.profile.username ? previous.password : undefined);
    if (!password) throw DomainError.validation("profile.password", "profile.password: required");
    credentials = { username: input.profile.username, password };
  }
  const now = new Date();
  const status = activate === undefined ? (current?.connectionStatus ?? "ENABLED") : activate ? "ENABLED" : "DISABLED";
  // The first connection of an app made from a template or another app takes the provisioning
  // options that came with it; the draft is then used up.
  const draft = current ? null : (integration?.provisioningDraft ?? null);
  const row = await persist(env, db, app, {
    appId: app.id,
    baseUrl: url.toString().replace(/\/+$/, ""),
    authScheme: input.profile.authScheme,
    credentialsBox: await seal(env.CREDENTIALS_KEY, JSON.stringify(credentials)),
    connectionStatus: status,
    requestsPerSecond: input.pacing?.requestsPerSecond ?? current?.requestsPerSecond ?? draft?.requestsPerSecond ?? 25,
    capabilities: current?.capabilities ?? draft?.capabilities ?? DEFAULT_CAPABILITIES,
    inbound: current?.inbound ?? draft?.inbound ?? null,
    lastFullImportAt: current?.lastFullImportAt ?? null,
    lastIncrementalImportAt: current?.lastIncrementalImportAt ?? null,
    created: current?.created ?? now,
    lastUpdated: now,
  });
  if (draft) await clearProvisioningDraft(db, app.id, now);
  return row;
}

export async function setConnectionStatus(env: Env, db: DB, app: AppRow, status: "ENABLED" | "DISABLED"): Promise<void> {
  const row = await requireProvisioning(db, app);
  if (row.connectionStatus !== status) await persist(env, db, app, { ...row, connectionStatus: status, lastUpdated: new Date() });
}

export async function updateUserProvisioning(env: Env, db: DB, app: AppRow, patch: CapabilitiesPatch): Promise<AppProvisioningRow> {
  const [row, integration] = await Promise.all([requireProvisioning(db, app), getIntegration(db, app.id)]);
  const capabilities = mergeCapabilities(row.capabilities, patch);
  // A template offers only the features its app supports (Okta shows the others greyed out).
  const refused = integration ? unofferedCapabilities(integration.offered, capabilities) : [];
  if (refused.length > 0) {
    throw DomainError.validation("feature", ...refused.map((path) => `capabilities.${path}: this app integration does not support it`));
  }
  return persist(env, db, app, { ...row, capabilities, lastUpdated: new Date() });
}

/**
 * Test API Credentials. The answer and its System Log event carry each check's HTTP status,
 * classification and at most the downstream's SCIM error detail with credentials taken out;
 * never a body.
 */
export async function testConnection(
  env: Env,
  db: DB,
  app: AppRow,
  row: AppProvisioningRow,
  audit?: AuditContext,
): Promise<CredentialTestResult> {
  const credentials = JSON.parse(await open(env.CREDENTIALS_KEY, row.credentialsBox)) as StoredCredentials;
  const scim = new ScimClient({
    baseUrl: row.baseUrl,
    authorization: authorizationHeader(credentials),
    timeoutMs: Number(env.DOWNSTREAM_TIMEOUT_MS) || 10_000,
  });
  const result = await checkCredentials(scim);
  await writeLog(db, [credentialTestEvent(app, row.baseUrl, result, audit)]);
  return result;
}
