import type { DB } from "../db/client";
import type { AppIntegrationRow, AppRow, ProfileMappingRow } from "../db/schema";
import * as appQueries from "../db/queries/apps";
import { seal } from "../crypto/secret-box";
import { DomainError } from "../domain/errors";
import { newId } from "../domain/ids";
import { DEFAULT_USERNAME_TEMPLATE, validateUsernameTemplate } from "../domain/username-template";
import { appCoordinator } from "../coordinator/client";
import type { ApplicationInput } from "../wire/app";
import type { AttributeDef } from "../mappings/app-user-schema";
import { CATALOG_VERSION, findTemplate } from "../catalog/catalog";
import { instantiate } from "../catalog/instance";
import { getIntegration, insertIntegration } from "../db/queries/app-integrations";
import { insertAppUserSchema } from "../db/queries/app-user-schemas";
import { newMappingStatement } from "./app-profiles";
import { oauthClientParts } from "../oauth/client-registration";
import { forgetClient } from "../access/gate-client";
import { downstreamAccess } from "../provisioning/downstream-url";
import { secretForApp } from "./client-secrets";
import { logStatements, writeLog, type AuditContext } from "../audit/system-log";
import { appEvent } from "../audit/events";

type Json = Record<string, unknown>;

// Okta's own app keys for the modes that have one fixed app; other modes are custom apps.
const FIXED_NAMES: Partial<Record<string, string>> = { BOOKMARK: "bookmark", OPENID_CONNECT: "oidc_client" };

/** What each sign-on mode needs in `settings` before Okta accepts it (custom apps). */
const REQUIRED_SETTINGS: Partial<Record<string, string[]>> = {
  BOOKMARK: ["app.url"],
  AUTO_LOGIN: ["signOn.loginUrl"],
  BASIC_AUTH: ["app.url", "app.authURL"],
  SAML_2_0: ["signOn.ssoAcsUrl", "signOn.audience"],
  SAML_1_1: ["signOn.defaultRelayState"],
};

function valueAt(settings: Json, path: string): unknown {
  return path.split(".").reduce<unknown>((node, key) => (node && typeof node === "object" ? (node as Json)[key] : undefined), settings);
}

function checkSettings(input: ApplicationInput, custom: boolean): void {
  if (!custom && input.signOnMode !== "BOOKMARK") return;
  const settings = input.settings ?? {};
  const missing = (REQUIRED_SETTINGS[input.signOnMode] ?? []).filter((path) => {
    const value = valueAt(settings, path);
    return typeof value !== "string" || value.trim() === "";
  });
  if (missing.length > 0) {
    throw DomainError.validation("settings", ...missing.map((path) => `settings.${path}: required for ${input.signOnMode} apps`));
  }
}

/** Credentials as stored: a default username template, and any shared password sealed. */
async function storedCredentials(env: Env, input: ApplicationInput, previous?: Json): Promise<Json> {
  const { password, ...rest } = input.credentials ?? {};
  const template = { template: DEFAULT_USERNAME_TEMPLATE, type: "BUILT_IN", ...rest.userNameTemplate };
  if (template.type !== "NONE") validateUsernameTemplate(template.template);
  const credentials: Json = { ...rest, userNameTemplate: template };
  if (password?.value !== undefined) credentials.password = { sealed: await seal(env.CREDENTIALS_KEY, password.value) };
  else if (previous?.password) credentials.password = previous.password;
  return credentials;
}

/**
 * An OAuth 2.0 client app (OPENID_CONNECT) keeps Okta's `settings.oauthClient` and
 * `credentials.oauthClient`, validated; a client secret it gives is returned apart, never kept in them.
 */
async function withOAuthClient(
  env: Env,
  appId: string,
  input: ApplicationInput,
  settings: Json,
  credentials: Json,
): Promise<{ settings: Json; credentials: Json; authMethod?: string; clientSecret?: string }> {
  if (input.signOnMode !== "OPENID_CONNECT") {
    // Only OAuth client apps have OAuth client credentials; anything given for others is dropped, not stored.
    const { oauthClient: _dropped, ...rest } = credentials;
    return { settings, credentials: rest };
  }
  const parts = await oauthClientParts(appId, settings, input.credentials, downstreamAccess(env.DOWNSTREAM_ACCESS));
  return {
    settings: { ...settings, oauthClient: parts.settingsClient },
    credentials: { ...credentials, oauthClient: parts.credentialsClient },
    authMethod: parts.credentialsClient.token_endpoint_auth_method,
    ...(parts.clientSecret !== undefined ? { clientSecret: parts.clientSecret } : {}),
  };
}

/** An app as created or replaced, and the client secret made for it: shown in this one answer, never again. */
export interface SavedApp {
  app: AppRow;
  clientSecret?: string;
}

async function customName(db: DB, label: string): Promise<string> {
  const stem = `provisio_${
    label
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "")
      .slice(0, 40) || "app"
  }`;
  return `${stem}_${(await appQueries.countNamesLike(db, stem)) + 1}`;
}

/** What goes with a new app besides its row: its app-user schema, its mappings, and what it was made from. */
interface NewAppParts {
  name: string;
  activate: boolean;
  audit?: AuditContext;
  custom?: Record<string, AttributeDef>;
  mappings?: ProfileMappingRow["properties"];
  integration?: Omit<AppIntegrationRow, "appId" | "created" | "lastUpdated">;
}

/**
 * POST /apps. A `name` that is a catalog template's key makes an instance of that template
 * (sign-on mode and settings checked against it, its schema, mappings and provisioning options);
 * any other name keeps the custom-app rules.
 */
export async function createApp(env: Env, db: DB, input: ApplicationInput, activate: boolean, audit?: AuditContext): Promise<SavedApp> {
  const template = input.name === undefined ? undefined : findTemplate(input.name);
  if (template) {
    const instance = instantiate(template, input.signOnMode, input.settings);
    return insertNewApp(
      env,
      db,
      { ...input, settings: instance.settings },
      {
        name: template.name,
        activate,
        audit,
        custom: instance.custom,
        mappings: instance.mappings,
        integration: {
          catalogName: template.name,
          catalogVersion: CATALOG_VERSION,
          clonedFrom: null,
          offered: instance.offered,
          provisioningDraft: instance.draft,
        },
      },
    );
  }
  const name = input.name ?? FIXED_NAMES[input.signOnMode];
  checkSettings(input, name === undefined);
  return insertNewApp(env, db, input, { name: name ?? (await customName(db, input.label)), activate, audit });
}

/** A name for a new instance of `source` (a separate instance): catalog and fixed names are kept, custom apps get their own. */
export async function instanceName(db: DB, source: AppRow, label: string): Promise<string> {
  if (findTemplate(source.name) || Object.values(FIXED_NAMES).includes(source.name)) return source.name;
  return customName(db, label);
}

export async function insertNewApp(env: Env, db: DB, input: ApplicationInput, parts: NewAppParts): Promise<SavedApp> {
  const now = new Date();
  const id = newId("0oa");
  const client = await withOAuthClient(env, id, input, input.settings ?? {}, await storedCredentials(env, input));
  const row: AppRow = {
    id,
    name: parts.name,
    label: input.label,
    labelLower: input.label.toLowerCase(),
    status: parts.activate ? "ACTIVE" : "INACTIVE",
    signOnMode: input.signOnMode,
    features: [],
    settings: client.settings,
    credentials: client.credentials,
    accessibility: input.accessibility ?? { selfService: false },
    visibility: input.visibility ?? { autoSubmitToolbar: false, hide: { iOS: false, web: false } },
    profile: input.profile ?? null,
    created: now,
    lastUpdated: now,
  };
  const custom = parts.custom ?? {};
  const secret = client.authMethod
    ? await secretForApp(db, row, client.authMethod, client.clientSecret, parts.audit, true)
    : { statements: [] };
  // The app, its schema, its Okta user -> app user mapping, what it was made from and its client
  // secret appear together, with the events that record them.
  await db.batch([
    appQueries.insertApp(db, row),
    newMappingStatement(db, row.id, now, parts.mappings),
    ...(Object.keys(custom).length > 0 ? [insertAppUserSchema(db, { appId: row.id, custom, created: now, lastUpdated: now })] : []),
    ...(parts.integration ? [insertIntegration(db, { ...parts.integration, appId: row.id, created: now, lastUpdated: now })] : []),
    ...logStatements(db, [appEvent("create", row, parts.audit)], now),
    ...secret.statements,
  ]);
  return { app: row, ...(secret.shown !== undefined ? { clientSecret: secret.shown } : {}) };
}

/** PUT /apps/{id}: replaces the app; id, name, status, created and lastUpdated are not taken from the body. */
export async function replaceApp(env: Env, db: DB, app: AppRow, input: ApplicationInput, audit?: AuditContext): Promise<SavedApp> {
  // An instance of a catalog template keeps to its template (sign-on mode, settings it accepts).
  const catalogName = (await getIntegration(db, app.id))?.catalogName;
  const template = catalogName ? findTemplate(catalogName) : undefined;
  if (!template) checkSettings(input, app.name !== FIXED_NAMES[input.signOnMode]);
  const given = template ? instantiate(template, input.signOnMode, input.settings).settings : (input.settings ?? {});
  const client = await withOAuthClient(env, app.id, input, given, await storedCredentials(env, input, app.credentials));
  const changes: Partial<AppRow> = {
    label: input.label,
    labelLower: input.label.toLowerCase(),
    signOnMode: input.signOnMode,
    settings: client.settings,
    credentials: client.credentials,
    accessibility: input.accessibility ?? app.accessibility,
    visibility: input.visibility ?? app.visibility,
    profile: input.profile ?? null,
    lastUpdated: new Date(),
  };
  const secret = client.authMethod ? await secretForApp(db, app, client.authMethod, client.clientSecret, audit, false) : { statements: [] };
  // The app and its new client secret change together.
  const [rows] = await db.batch([appQueries.updateAppStatement(db, app.id, changes), ...secret.statements]);
  const updated = rows[0] ?? app;
  await writeLog(db, [appEvent("update", updated, audit)]);
  await forgetClientOf(env, app);
  return { app: updated, ...(secret.shown !== undefined ? { clientSecret: secret.shown } : {}) };
}

export async function setAppStatus(env: Env, db: DB, app: AppRow, status: AppRow["status"], audit?: AuditContext): Promise<void> {
  if (app.status === status) return;
  await appQueries.updateApp(db, app.id, { status, lastUpdated: new Date() });
  await writeLog(db, [appEvent(status === "ACTIVE" ? "activate" : "deactivate", app, audit)]);
  await forgetClientOf(env, app);
}

/** An OAuth client's gate re-reads the app at once after a change (its tokens stop working when it is deactivated or deleted). */
async function forgetClientOf(env: Env, app: AppRow): Promise<void> {
  if (app.signOnMode === "OPENID_CONNECT") await forgetClient(env, app.id);
}

/** Okta deletes only inactive apps; the app's assignments go with it, through its coordinator. */
export async function deleteApp(env: Env, app: AppRow, audit?: AuditContext): Promise<void> {
  if (app.status !== "INACTIVE") {
    throw new DomainError("E0000056", "", ["Application must be deactivated before it can be deleted."]);
  }
  // A large app takes several calls to its coordinator, each within one invocation's D1 budget.
  const coordinator = appCoordinator(env, app.id, audit);
  while (!(await coordinator.deleteApp()).done);
  await forgetClientOf(env, app);
}
