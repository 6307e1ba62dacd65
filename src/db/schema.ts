import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { AppUserScope, AppUserStatus, AppUserSyncState } from "../domain/app-user-states";
import type { UserStatus } from "../domain/user-lifecycle";
import type { AttributeDef } from "../mappings/app-user-schema";
import type { UserProvisioningCapabilities } from "../provisioning/capabilities";
import type { InboundSettings } from "../imports/inbound-settings";
import type { ImportResult } from "../imports/matching";
import type { OfferedFeatures } from "../catalog/template";
import type { ProvisioningDraft } from "../catalog/instance";

type Json = Record<string, unknown>;

// Every timestamp is epoch milliseconds (Okta's wire format carries milliseconds).
const timestamp = (name: string) => integer(name, { mode: "timestamp_ms" });
const createdAt = () =>
  timestamp("created")
    .notNull()
    .default(sql`(unixepoch('subsec') * 1000)`);

export const users = sqliteTable(
  "users",
  {
    id: text().primaryKey(),
    status: text().$type<UserStatus>().notNull(),
    transitioningToStatus: text().$type<UserStatus>(),
    // login/email/firstName/lastName are copied out of `profile` so that lookups, `q`
    // and filters hit indexes instead of json_extract over every row.
    login: text().notNull(),
    loginLower: text().notNull(),
    email: text(),
    firstName: text(),
    lastName: text(),
    profile: text({ mode: "json" }).$type<Json>().notNull(),
    passwordHash: text(),
    recoveryQuestion: text(),
    recoveryAnswerHash: text(),
    providerType: text().notNull().default("OKTA"),
    providerName: text().notNull().default("OKTA"),
    created: createdAt(),
    activated: timestamp("activated"),
    statusChanged: timestamp("status_changed"),
    lastLogin: timestamp("last_login"),
    lastUpdated: timestamp("last_updated").notNull(),
    passwordChanged: timestamp("password_changed"),
  },
  (t) => [
    uniqueIndex("users_login_lower_idx").on(t.loginLower),
    index("users_email_idx").on(t.email),
    index("users_status_id_idx").on(t.status, t.id),
    // Imports match on first and last name together (partial matches).
    index("users_name_idx").on(t.lastName, t.firstName),
  ],
);

export const groups = sqliteTable(
  "groups",
  {
    id: text().primaryKey(),
    name: text().notNull(),
    nameLower: text().notNull(),
    description: text(),
    profile: text({ mode: "json" }).$type<Json>().notNull(),
    type: text().$type<"OKTA_GROUP" | "APP_GROUP" | "BUILT_IN">().notNull().default("OKTA_GROUP"),
    created: createdAt(),
    lastUpdated: timestamp("last_updated").notNull(),
    lastMembershipUpdated: timestamp("last_membership_updated").notNull(),
  },
  (t) => [uniqueIndex("groups_name_lower_idx").on(t.nameLower)],
);

export const groupMembers = sqliteTable(
  "group_members",
  {
    groupId: text()
      .notNull()
      .references(() => groups.id, { onDelete: "cascade" }),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    created: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index("group_members_user_idx").on(t.userId)],
);

export const apps = sqliteTable(
  "apps",
  {
    id: text().primaryKey(),
    name: text().notNull(),
    label: text().notNull(),
    labelLower: text().notNull(),
    status: text().$type<"ACTIVE" | "INACTIVE">().notNull(),
    signOnMode: text().notNull(),
    features: text({ mode: "json" }).$type<string[]>().notNull(),
    settings: text({ mode: "json" }).$type<Json>().notNull(),
    credentials: text({ mode: "json" }).$type<Json>().notNull(),
    accessibility: text({ mode: "json" }).$type<Json>().notNull(),
    visibility: text({ mode: "json" }).$type<Json>().notNull(),
    profile: text({ mode: "json" }).$type<Json>(),
    created: createdAt(),
    lastUpdated: timestamp("last_updated").notNull(),
  },
  (t) => [index("apps_label_lower_idx").on(t.labelLower), index("apps_name_idx").on(t.name)],
);

export const appUsers = sqliteTable(
  "app_users",
  {
    appId: text()
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    scope: text().$type<AppUserScope>().notNull(),
    status: text().$type<AppUserStatus>().notNull(),
    syncState: text().$type<AppUserSyncState>().notNull(),
    externalId: text(),
    userName: text(),
    // AES-GCM ciphertext (see src/crypto/secret-box.ts); never returned by the API.
    passwordCiphertext: text(),
    // The effective profile (mapped defaults, then the top group's profile for GROUP scope,
    // then overrides), kept materialized so reads need no evaluation.
    profile: text({ mode: "json" }).$type<Json>().notNull(),
    // Values set for this user that differ from the computed default; null-free.
    overrides: text({ mode: "json" })
      .$type<Json>()
      .notNull()
      .default(sql`'{}'`),
    created: createdAt(),
    lastUpdated: timestamp("last_updated").notNull(),
    statusChanged: timestamp("status_changed"),
    passwordChanged: timestamp("password_changed"),
    lastSync: timestamp("last_sync"),
  },
  (t) => [
    primaryKey({ columns: [t.appId, t.userId] }),
    index("app_users_user_idx").on(t.userId),
    index("app_users_external_idx").on(t.appId, t.externalId),
  ],
);

export const appGroups = sqliteTable(
  "app_groups",
  {
    appId: text()
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    groupId: text()
      .notNull()
      .references(() => groups.id, { onDelete: "cascade" }),
    // Dense 0..n-1 per app, 0 first; kept unique by the app's coordinator.
    priority: integer().notNull(),
    profile: text({ mode: "json" }).$type<Json>().notNull(),
    created: createdAt(),
    lastUpdated: timestamp("last_updated").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.appId, t.groupId] }),
    index("app_groups_app_priority_idx").on(t.appId, t.priority),
    index("app_groups_group_idx").on(t.groupId),
  ],
);

/** Custom app-user attributes (the `custom` definitions of the app user schema). */
export const appUserSchemas = sqliteTable("app_user_schemas", {
  appId: text()
    .primaryKey()
    .references(() => apps.id, { onDelete: "cascade" }),
  custom: text({ mode: "json" }).$type<Record<string, AttributeDef>>().notNull(),
  created: createdAt(),
  lastUpdated: timestamp("last_updated").notNull(),
});

/** The Okta user -> app user profile mapping of an app: target attribute -> {expression, pushStatus}. */
export const profileMappings = sqliteTable(
  "profile_mappings",
  {
    id: text().primaryKey(),
    appId: text()
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    properties: text({ mode: "json" }).$type<Record<string, { expression: string; pushStatus: "PUSH" | "DONT_PUSH" }>>().notNull(),
    created: createdAt(),
    lastUpdated: timestamp("last_updated").notNull(),
  },
  (t) => [uniqueIndex("profile_mappings_app_idx").on(t.appId)],
);

export type UserRow = typeof users.$inferSelect;
export type GroupRow = typeof groups.$inferSelect;
export type AppRow = typeof apps.$inferSelect;
export type AppUserRow = typeof appUsers.$inferSelect;
export type AppGroupRow = typeof appGroups.$inferSelect;
export type AppUserSchemaRow = typeof appUserSchemas.$inferSelect;
export type ProfileMappingRow = typeof profileMappings.$inferSelect;
export type AppProvisioningRow = typeof appProvisioning.$inferSelect;
export type GroupPushMappingRow = typeof groupPushMappings.$inferSelect;

/**
 * An app's "To App" provisioning: its SCIM connection (credentials sealed with
 * CREDENTIALS_KEY, never returned) and its USER_PROVISIONING capabilities.
 */
export const appProvisioning = sqliteTable("app_provisioning", {
  appId: text()
    .primaryKey()
    .references(() => apps.id, { onDelete: "cascade" }),
  baseUrl: text().notNull(),
  authScheme: text().$type<"TOKEN" | "BASIC" | "HEADER">().notNull(),
  credentialsBox: text().notNull(),
  connectionStatus: text().$type<"ENABLED" | "DISABLED">().notNull(),
  requestsPerSecond: integer().notNull().default(25),
  capabilities: text({ mode: "json" }).$type<UserProvisioningCapabilities>().notNull(),
  // INBOUND_PROVISIONING ("To Okta"); null until first set.
  inbound: text({ mode: "json" }).$type<InboundSettings>(),
  // When the scheduled full / incremental imports last started (epoch ms).
  lastFullImportAt: integer(),
  lastIncrementalImportAt: integer(),
  created: createdAt(),
  lastUpdated: timestamp("last_updated").notNull(),
});

export const groupPushMappings = sqliteTable(
  "group_push_mappings",
  {
    id: text().primaryKey(),
    appId: text()
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    sourceGroupId: text()
      .notNull()
      .references(() => groups.id, { onDelete: "cascade" }),
    targetGroupId: text(),
    targetGroupName: text(),
    status: text().$type<"ACTIVE" | "INACTIVE" | "ERROR">().notNull(),
    errorSummary: text(),
    lastPush: timestamp("last_push"),
    created: createdAt(),
    lastUpdated: timestamp("last_updated").notNull(),
  },
  (t) => [uniqueIndex("group_push_app_source_idx").on(t.appId, t.sourceGroupId), index("group_push_source_idx").on(t.sourceGroupId)],
);

export type ImportCounters = {
  /** How many users the downstream reported (SCIM totalResults), once its first page is read. */
  downstreamTotal?: number;
  fetched: number;
  exact: number;
  partial: number;
  new: number;
  conflicts: number;
  unchanged: number;
  ignored: number;
  updated: number;
  deactivated: number;
  reactivated: number;
  toUnassign: number;
  applied: number;
  /** Confirmed and waiting to be applied. */
  confirmed?: number;
  pending: number;
  errors: number;
  /** Full imports: apparent removals checked one by one before planning them (set once checked). */
  verifiedMissing?: number;
  /** Of those, users still downstream that shifting pages had hidden from the listing. */
  missedByPaging?: number;
  /**
   * Of `unchanged`, the users whose downstream record and link were exactly what the last import
   * left: counted when fetched and stored nowhere (no item, no event).
   */
  skippedUnchanged?: number;
};

export const importSessions = sqliteTable(
  "import_sessions",
  {
    id: text().primaryKey(),
    appId: text()
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    type: text().$type<"FULL" | "INCREMENTAL">().notNull(),
    trigger: text().$type<"MANUAL" | "SCHEDULE">().notNull(),
    dryRun: integer({ mode: "boolean" }).notNull(),
    status: text().$type<"RUNNING" | "PAUSED_SAFEGUARD" | "AWAITING_CONFIRMATION" | "COMPLETED" | "CANCELLED" | "FAILED">().notNull(),
    // Where a RUNNING session is: WAITING (behind a roadblock), FETCH, PLAN, APPLY.
    phase: text().$type<"WAITING" | "FETCH" | "PLAN" | "APPLY" | "DONE">().notNull(),
    cursor: text(),
    counters: text({ mode: "json" }).$type<ImportCounters>().notNull(),
    safeguard: text({ mode: "json" }).$type<Record<string, unknown>>(),
    error: text(),
    created: createdAt(),
    lastUpdated: timestamp("last_updated").notNull(),
    completed: timestamp("completed"),
  },
  (t) => [index("import_sessions_app_idx").on(t.appId, t.created), index("import_sessions_status_idx").on(t.status)],
);

export const importItems = sqliteTable(
  "import_items",
  {
    sessionId: text()
      .notNull()
      .references(() => importSessions.id, { onDelete: "cascade" }),
    seq: integer().notNull(),
    externalId: text().notNull(),
    userName: text().notNull(),
    active: integer({ mode: "boolean" }).notNull(),
    profile: text({ mode: "json" }).$type<Json>().notNull(),
    result: text().$type<ImportResult>(),
    matchedUserId: text(),
    decision: text().$type<"PENDING" | "CONFIRMED" | "APPLIED" | "SKIPPED" | "ERROR" | "NONE">().notNull(),
    detail: text(),
    // The digest of the downstream record as fetched (src/imports/record-digest.ts): kept with
    // the link once applied, so that an unchanged record is skipped by the next import.
    digest: text(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.seq] }), index("import_items_result_idx").on(t.sessionId, t.result)],
);

/** Org-wide settings (import safeguards, the import roadblock), one JSON value per key. */
export const orgSettings = sqliteTable("org_settings", {
  key: text().primaryKey(),
  value: text({ mode: "json" }).$type<Json>().notNull(),
  lastUpdated: timestamp("last_updated").notNull(),
});

export type ImportSessionRow = typeof importSessions.$inferSelect;
export type ImportItemRow = typeof importItems.$inferSelect;

/** System Log events in Okta's LogEvent shape (the columns that are filtered on, plus the rest as JSON). */
export const logEvents = sqliteTable(
  "log_events",
  {
    uuid: text().primaryKey(),
    published: timestamp("published").notNull(),
    eventType: text().notNull(),
    severity: text().$type<"DEBUG" | "INFO" | "WARN" | "ERROR">().notNull(),
    displayMessage: text().notNull(),
    outcome: text({ mode: "json" }).$type<{ result: string; reason?: string | null }>().notNull(),
    actor: text({ mode: "json" }).$type<Json>().notNull(),
    target: text({ mode: "json" }).$type<Json[]>().notNull(),
    debugContext: text({ mode: "json" }).$type<Json>().notNull(),
  },
  (t) => [index("log_events_published_idx").on(t.published, t.uuid), index("log_events_type_idx").on(t.eventType, t.published)],
);
export type LogEventRow = typeof logEvents.$inferSelect;

/** Okta inline hooks (only com.okta.import.transform is run here); the auth header value is sealed. */
export const inlineHooks = sqliteTable("inline_hooks", {
  id: text().primaryKey(),
  name: text().notNull(),
  type: text().notNull(),
  version: text().notNull(),
  status: text().$type<"ACTIVE" | "INACTIVE">().notNull(),
  uri: text().notNull(),
  headers: text({ mode: "json" }).$type<{ key: string; value: string }[]>().notNull(),
  authKey: text(),
  authBox: text(),
  created: createdAt(),
  lastUpdated: timestamp("last_updated").notNull(),
});
export type InlineHookRow = typeof inlineHooks.$inferSelect;

/**
 * SSWS API tokens, kept as SHA-256 hashes only (the value is shown once, when minted). Revoked
 * rows stay so that a revoked bootstrap token is not seeded again on its next use.
 */
export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: text().primaryKey(),
    name: text().notNull(),
    tokenHash: text().notNull(),
    // The Okta user the token is recorded against (metadata; provisio has no admin roles).
    userId: text(),
    clientName: text().notNull(),
    // The token that BOOTSTRAP_API_TOKEN configures: never expires, replaced by rotating the secret.
    bootstrap: integer({ mode: "boolean" }).notNull().default(false),
    status: text().$type<"ACTIVE" | "REVOKED">().notNull(),
    network: text({ mode: "json" }).$type<{ connection: "ANYWHERE" }>().notNull(),
    created: createdAt(),
    lastUpdated: timestamp("last_updated").notNull(),
    // Recorded at most once an hour by the token's AccessGate; a token unused for its window expires.
    lastUsed: timestamp("last_used"),
    expiresAt: timestamp("expires_at"),
  },
  (t) => [uniqueIndex("api_tokens_hash_idx").on(t.tokenHash), index("api_tokens_status_idx").on(t.status, t.id)],
);
export type ApiTokenRow = typeof apiTokens.$inferSelect;

/**
 * Okta's scope consent grants (`/api/v1/apps/{appId}/grants`): which okta.* scopes an OAuth 2.0
 * client app may ask the token endpoint for. One row per app and scope; revoking deletes it.
 */
export const oauthGrants = sqliteTable(
  "oauth_grants",
  {
    id: text().primaryKey(),
    appId: text()
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    scopeId: text().notNull(),
    issuer: text().notNull(),
    // Who granted it: an API token (its id) or an OAuth client (its client id).
    createdById: text().notNull(),
    createdByType: text().notNull(),
    created: createdAt(),
    lastUpdated: timestamp("last_updated").notNull(),
  },
  (t) => [uniqueIndex("oauth_grants_app_scope_idx").on(t.appId, t.scopeId)],
);
export type OAuthGrantRow = typeof oauthGrants.$inferSelect;

/**
 * The key pairs provisio signs its access tokens with. The private JWK is sealed (AES-GCM under
 * CREDENTIALS_KEY); the public one is published at /oauth2/v1/keys. `slot` is "current" for the
 * key that signs (unique, so two isolates creating the first key at once keep only one) and null
 * for a retired key that still verifies the tokens it signed until they expire.
 */
export const oauthSigningKeys = sqliteTable(
  "oauth_signing_keys",
  {
    kid: text().primaryKey(),
    alg: text().$type<"ES256">().notNull(),
    publicJwk: text({ mode: "json" }).$type<Json>().notNull(),
    privateJwkBox: text().notNull(),
    slot: text().$type<"current">(),
    created: createdAt(),
  },
  (t) => [uniqueIndex("oauth_signing_keys_slot_idx").on(t.slot)],
);
export type OAuthSigningKeyRow = typeof oauthSigningKeys.$inferSelect;

/**
 * What an app was made from: a catalog template (its name and the catalog version) or another
 * app (a separate instance, `clonedFrom`). `offered` is the set of provisioning features the
 * instance may turn on; `provisioningDraft` holds the provisioning options to apply when its
 * connection is first saved (the template's defaults, or the cloned app's options: a connection's
 * credentials are never copied, so provisioning starts only once they are entered).
 */
export const appIntegrations = sqliteTable("app_integrations", {
  appId: text()
    .primaryKey()
    .references(() => apps.id, { onDelete: "cascade" }),
  catalogName: text(),
  catalogVersion: text(),
  clonedFrom: text(),
  offered: text({ mode: "json" }).$type<OfferedFeatures>().notNull(),
  provisioningDraft: text({ mode: "json" }).$type<ProvisioningDraft>(),
  created: createdAt(),
  lastUpdated: timestamp("last_updated").notNull(),
});
export type AppIntegrationRow = typeof appIntegrations.$inferSelect;

/**
 * Browser sessions of the admin console (`admin`: subject is the API token's hash, the token
 * itself sealed) and of My Apps (`end-user`: subject is the user id). The cookie holds only a
 * random session id, sealed; this row is keyed by its SHA-256, so ending a session here ends it
 * everywhere at once, whatever copy of the cookie exists.
 */
export const webSessions = sqliteTable(
  "web_sessions",
  {
    idHash: text().primaryKey(),
    kind: text().$type<"admin" | "end-user">().notNull(),
    subject: text().notNull(),
    // AES-GCM sealed API token (admin sessions only): the console calls the API with it.
    tokenBox: text(),
    csrf: text().notNull(),
    created: createdAt(),
    expires: timestamp("expires").notNull(),
  },
  (t) => [index("web_sessions_subject_idx").on(t.kind, t.subject), index("web_sessions_expires_idx").on(t.expires)],
);
export type WebSessionRow = typeof webSessions.$inferSelect;

/**
 * The Okta password captured at a user's sign-in and handed to an app's coordinator for an
 * assignment that was waiting for it (Sync Password with the Okta password). `passwordVersion`
 * is the user's passwordChanged at capture: a later password change makes the row stale.
 */
export const passwordDeliveries = sqliteTable(
  "password_deliveries",
  {
    appId: text()
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    passwordVersion: timestamp("password_version").notNull(),
    requested: timestamp("requested").notNull(),
  },
  (t) => [primaryKey({ columns: [t.appId, t.userId] })],
);
export type PasswordDeliveryRow = typeof passwordDeliveries.$inferSelect;

/** The order a user arranged their My Apps tiles in (app ids; apps not listed follow, oldest assignment first). */
export const appLinkOrders = sqliteTable("app_link_orders", {
  userId: text()
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  appIds: text({ mode: "json" }).$type<string[]>().notNull(),
  lastUpdated: timestamp("last_updated").notNull(),
});
export type AppLinkOrderRow = typeof appLinkOrders.$inferSelect;

/**
 * Client secrets of OAuth 2.0 client apps that authenticate with client_secret_basic or
 * client_secret_post (Okta's OAuth2ClientSecret; at most two per app). Only a PBKDF2 hash is
 * kept: the value is shown once, when it is created. `fingerprint` is Okta's `secret_hash`, an
 * opaque digest of the stored hash that tells secrets apart without revealing anything of them.
 */
export const oauthClientSecrets = sqliteTable(
  "oauth_client_secrets",
  {
    id: text().primaryKey(),
    appId: text()
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    secretHash: text().notNull(),
    fingerprint: text().notNull(),
    status: text().$type<"ACTIVE" | "INACTIVE">().notNull(),
    created: createdAt(),
    lastUpdated: timestamp("last_updated").notNull(),
  },
  (t) => [index("oauth_client_secrets_app_idx").on(t.appId, t.id)],
);
export type OAuthClientSecretRow = typeof oauthClientSecrets.$inferSelect;

/**
 * Access tokens revoked before they expire (RFC 7009), by `jti`, until their `exp`. The client's
 * AccessGate holds the same list and refuses them on every call; D1's copy answers when the gate
 * cannot (and introspection then).
 */
export const oauthRevokedTokens = sqliteTable(
  "oauth_revoked_tokens",
  {
    jti: text().primaryKey(),
    clientId: text().notNull(),
    expiresAt: timestamp("expires_at").notNull(),
    revoked: timestamp("revoked").notNull(),
  },
  (t) => [index("oauth_revoked_tokens_expiry_idx").on(t.expiresAt)],
);
