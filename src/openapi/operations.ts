import type { OktaScope } from "../http/auth";

/**
 * Every endpoint provisio serves, for the OpenAPI document. Okta-compatible operations carry
 * Okta's operationId; provisio's own are tagged "provisio extensions". A test checks this list
 * against the app's routes both ways, so neither can drift from the other. Request bodies and
 * query parameters come from the routes' own zod validators (see openapi/document.ts).
 */
export interface Operation {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  /** The okta.* scope an OAuth access token needs; null for the public OAuth endpoints (no Authorization). */
  scope: OktaScope | null;
  /** Success status and the component it returns (array when a list). */
  status: 200 | 201 | 202 | 204;
  response?: string;
  list?: boolean;
  extension?: boolean;
  /** A request body that is not JSON (the token endpoint's form). */
  requestBody?: Record<string, unknown>;
  /** A success schema given inline, for responses with no Okta component. */
  responseSchema?: Record<string, unknown>;
}

const op = (
  method: Operation["method"],
  path: string,
  operationId: string,
  summary: string,
  tag: string,
  scope: OktaScope | null,
  extra: Partial<Operation> = {},
): Operation => ({ method, path, operationId, summary, tag, scope, status: 200, ...extra });

const EXT = "provisio extensions";
const users = "User";
const groups = "Group";
const apps = "Application";
const grants = "ApplicationGrants";
const oauth = "OAuth 2.0";

const oauthError = {
  type: "object",
  required: ["error"],
  properties: { error: { type: "string" }, error_description: { type: "string" } },
};

/** A catalog entry (provisio extension; see src/wire/catalog.ts). */
const CATALOG_ENTRY_SCHEMA = {
  type: "object",
  required: ["name", "displayName", "signOnModes", "settings", "catalogVersion"],
  properties: {
    name: { type: "string", description: "The key POST /api/v1/apps takes as `name` to create an instance" },
    displayName: { type: "string" },
    description: { type: "string" },
    categories: { type: "array", items: { type: "string" } },
    catalogVersion: { type: "string" },
    signOnModes: { type: "array", items: { type: "string" } },
    settings: { type: "object", description: "The settings.app attributes an instance accepts", additionalProperties: { type: "object" } },
    provisioning: { type: ["object", "null"] },
    appUserSchema: { type: "object" },
    mappings: { type: "object" },
  },
};

/** How a client authenticates in a form (pick one): private_key_jwt, client_secret_post, or client_secret_basic in the Authorization header. */
const CLIENT_AUTH_FORM = {
  client_assertion_type: { type: "string", enum: ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"] },
  client_assertion: {
    type: "string",
    description: "private_key_jwt: a JWT with iss = sub = client_id, aud = this endpoint's URL, exp at most 5 minutes ahead, jti once",
  },
  client_id: { type: "string" },
  client_secret: { type: "string", description: "client_secret_post (client_secret_basic sends it in Authorization: Basic instead)" },
};

const tokenForm = (what: string) => ({
  required: true,
  content: {
    "application/x-www-form-urlencoded": {
      schema: {
        type: "object",
        required: ["token"],
        properties: {
          token: { type: "string", description: what },
          token_type_hint: { type: "string", description: "access_token (a hint only: every token is looked up as an access token)" },
          ...CLIENT_AUTH_FORM,
        },
      },
    },
  },
});

export const OPERATIONS: Operation[] = [
  op("POST", "/api/v1/users", "createUser", "Create a user", users, "okta.users.manage", {
    response: "User",
  }),
  op("GET", "/api/v1/users", "listUsers", "List users (q, filter, search, after, limit)", users, "okta.users.read", {
    response: "User",
    list: true,
  }),
  op("GET", "/api/v1/users/{idOrLogin}", "getUser", "Retrieve a user by id, login or short login", users, "okta.users.read", {
    response: "User",
  }),
  op("POST", "/api/v1/users/{idOrLogin}", "updateUser", "Update a user (partial)", users, "okta.users.manage", {
    response: "User",
  }),
  op("PUT", "/api/v1/users/{idOrLogin}", "replaceUser", "Replace a user", users, "okta.users.manage", {
    response: "User",
  }),
  op("DELETE", "/api/v1/users/{idOrLogin}", "deleteUser", "Deactivate, then delete, a user", users, "okta.users.manage", { status: 204 }),
  op("GET", "/api/v1/users/{idOrLogin}/groups", "listUserGroups", "List a user's groups", users, "okta.users.read", {
    response: "Group",
    list: true,
  }),
  ...(["activate", "deactivate", "reactivate", "suspend", "unsuspend"] as const).map((name) =>
    op(
      "POST",
      `/api/v1/users/{idOrLogin}/lifecycle/${name}`,
      `${name}User`,
      `${name[0].toUpperCase()}${name.slice(1)} a user`,
      users,
      "okta.users.manage",
    ),
  ),

  op(
    "GET",
    "/api/v1/users/{idOrLogin}/appLinks",
    "listAppLinks",
    "List the user's app links (direct and group assignments to ACTIVE apps; `me` for the calling token's user)",
    "UserResources",
    "okta.users.read",
    { response: "AssignedAppLink", list: true },
  ),
  op(
    "DELETE",
    "/api/v1/users/{idOrLogin}/sessions",
    "revokeUserSessions",
    "End the user's My Apps sessions (and console sessions of API tokens recorded against them)",
    "UserSessions",
    "okta.users.manage",
    { status: 204 },
  ),

  op("POST", "/api/v1/groups", "addGroup", "Create a group", groups, "okta.groups.manage", { response: "Group" }),
  op("GET", "/api/v1/groups", "listGroups", "List groups", groups, "okta.groups.read", { response: "Group", list: true }),
  op("GET", "/api/v1/groups/{groupId}", "getGroup", "Retrieve a group", groups, "okta.groups.read", { response: "Group" }),
  op("PUT", "/api/v1/groups/{groupId}", "replaceGroup", "Replace a group's profile", groups, "okta.groups.manage", {
    response: "Group",
  }),
  op("DELETE", "/api/v1/groups/{groupId}", "deleteGroup", "Delete a group", groups, "okta.groups.manage", { status: 204 }),
  op("GET", "/api/v1/groups/{groupId}/users", "listGroupUsers", "List a group's members", groups, "okta.groups.read", {
    response: "User",
    list: true,
  }),
  op(
    "GET",
    "/api/v1/groups/{groupId}/apps",
    "listAssignedApplicationsForGroup",
    "List the apps assigned to a group",
    groups,
    "okta.groups.read",
    { response: "Application", list: true },
  ),
  op("PUT", "/api/v1/groups/{groupId}/users/{userId}", "assignUserToGroup", "Add a member", groups, "okta.groups.manage", { status: 204 }),
  op("DELETE", "/api/v1/groups/{groupId}/users/{userId}", "unassignUserFromGroup", "Remove a member", groups, "okta.groups.manage", {
    status: 204,
  }),

  op("POST", "/api/v1/apps", "createApplication", "Create an app", apps, "okta.apps.manage", {
    response: "Application",
  }),
  op("GET", "/api/v1/apps", "listApplications", "List apps", apps, "okta.apps.read", { response: "Application", list: true }),
  op("GET", "/api/v1/apps/{appId}", "getApplication", "Retrieve an app", apps, "okta.apps.read", { response: "Application" }),
  op("PUT", "/api/v1/apps/{appId}", "replaceApplication", "Replace an app", apps, "okta.apps.manage", {
    response: "Application",
  }),
  op("DELETE", "/api/v1/apps/{appId}", "deleteApplication", "Delete an inactive app", apps, "okta.apps.manage", { status: 204 }),
  op(
    "POST",
    "/api/v1/apps/{appId}/clone",
    "cloneApplication",
    "Create a separate instance of an app (same template, settings, schema, mappings and provisioning options; no assignments, push mappings or secrets)",
    EXT,
    "okta.apps.manage",
    { response: "Application", extension: true },
  ),
  op(
    "GET",
    "/api/v1/apps/{appId}/integration",
    "getApplicationIntegration",
    "What the app was made from (catalog template or cloned app), the provisioning features it offers, and the options its first connection will take",
    EXT,
    "okta.apps.read",
    {
      extension: true,
      responseSchema: {
        type: "object",
        required: ["appId", "offered"],
        properties: {
          appId: { type: "string" },
          catalog: { type: ["object", "null"] },
          clonedFrom: { type: ["string", "null"] },
          offered: { type: "object" },
          provisioningDraft: { type: ["object", "null"] },
        },
      },
    },
  ),
  op("GET", "/api/v1/catalog/apps", "listCatalogApps", "Search the integration catalog (q, after, limit)", EXT, "okta.apps.read", {
    extension: true,
    responseSchema: { type: "array", items: CATALOG_ENTRY_SCHEMA },
  }),
  op("POST", "/api/v1/apps/{appId}/lifecycle/activate", "activateApplication", "Activate an app", apps, "okta.apps.manage"),
  op("POST", "/api/v1/apps/{appId}/lifecycle/deactivate", "deactivateApplication", "Deactivate an app", apps, "okta.apps.manage"),

  op("GET", "/api/v1/apps/{appId}/users", "listApplicationUsers", "List assigned users", "ApplicationUsers", "okta.apps.read", {
    response: "AppUser",
    list: true,
  }),
  op("POST", "/api/v1/apps/{appId}/users", "assignUserToApplication", "Assign a user", "ApplicationUsers", "okta.apps.manage", {
    response: "AppUser",
  }),
  op(
    "GET",
    "/api/v1/apps/{appId}/users/{userId}",
    "getApplicationUser",
    "Retrieve an assigned user",
    "ApplicationUsers",
    "okta.apps.read",
    { response: "AppUser" },
  ),
  op(
    "POST",
    "/api/v1/apps/{appId}/users/{userId}",
    "updateApplicationUser",
    "Update an assigned user",
    "ApplicationUsers",
    "okta.apps.manage",
    { response: "AppUser" },
  ),
  op(
    "DELETE",
    "/api/v1/apps/{appId}/users/{userId}",
    "unassignUserFromApplication",
    "Unassign a user",
    "ApplicationUsers",
    "okta.apps.manage",
    { status: 204 },
  ),

  op(
    "GET",
    "/api/v1/apps/{appId}/groups",
    "listApplicationGroupAssignments",
    "List group assignments",
    "ApplicationGroups",
    "okta.apps.read",
    { response: "ApplicationGroupAssignment", list: true },
  ),
  op(
    "GET",
    "/api/v1/apps/{appId}/groups/{groupId}",
    "getApplicationGroupAssignment",
    "Retrieve a group assignment",
    "ApplicationGroups",
    "okta.apps.read",
    { response: "ApplicationGroupAssignment" },
  ),
  op(
    "PUT",
    "/api/v1/apps/{appId}/groups/{groupId}",
    "assignGroupToApplication",
    "Assign a group",
    "ApplicationGroups",
    "okta.apps.manage",
    { response: "ApplicationGroupAssignment" },
  ),
  op(
    "PATCH",
    "/api/v1/apps/{appId}/groups/{groupId}",
    "updateGroupAssignmentToApplication",
    "Update a group assignment (JSON Patch)",
    "ApplicationGroups",
    "okta.apps.manage",
    { response: "ApplicationGroupAssignment" },
  ),
  op(
    "DELETE",
    "/api/v1/apps/{appId}/groups/{groupId}",
    "unassignApplicationFromGroup",
    "Unassign a group",
    "ApplicationGroups",
    "okta.apps.manage",
    { status: 204 },
  ),
  op(
    "GET",
    "/api/v1/apps/{appId}/assignment-operations",
    "listAssignmentOperations",
    "Progress of the app's fan-out jobs",
    EXT,
    "okta.apps.read",
    { extension: true },
  ),
  op(
    "GET",
    "/api/v1/apps/{appId}/coordinator-stats",
    "getCoordinatorStats",
    "The app coordinator's spending per invocation: most D1 queries and longest run, against its budget",
    EXT,
    "okta.apps.read",
    { extension: true },
  ),

  op(
    "GET",
    "/api/v1/apps/{appId}/connections/default",
    "getDefaultProvisioningConnectionForApplication",
    "Retrieve the provisioning connection",
    "ApplicationConnections",
    "okta.apps.read",
    { response: "ProvisioningConnectionResponse" },
  ),
  op(
    "POST",
    "/api/v1/apps/{appId}/connections/default",
    "updateDefaultProvisioningConnectionForApplication",
    "Set the provisioning connection",
    "ApplicationConnections",
    "okta.apps.manage",
    { response: "ProvisioningConnectionResponse" },
  ),
  op(
    "POST",
    "/api/v1/apps/{appId}/connections/default/lifecycle/activate",
    "activateDefaultProvisioningConnectionForApplication",
    "Activate the connection",
    "ApplicationConnections",
    "okta.apps.manage",
    { status: 204 },
  ),
  op(
    "POST",
    "/api/v1/apps/{appId}/connections/default/lifecycle/deactivate",
    "deactivateDefaultProvisioningConnectionForApplication",
    "Deactivate the connection",
    "ApplicationConnections",
    "okta.apps.manage",
    { status: 204 },
  ),
  op(
    "POST",
    "/api/v1/apps/{appId}/connections/default/test",
    "testProvisioningConnection",
    "Test API Credentials: each check's HTTP status and classification, and at most a SCIM error's detail with credentials taken out (never a body)",
    EXT,
    "okta.apps.manage",
    {
      extension: true,
      responseSchema: {
        type: "object",
        required: ["status", "checks", "errorSummary"],
        properties: {
          status: { type: "string", enum: ["SUCCESS", "FAILURE"] },
          errorSummary: { type: ["string", "null"] },
          checks: {
            type: "array",
            items: {
              type: "object",
              required: ["name", "status", "httpStatus", "detail"],
              properties: {
                name: { type: "string", enum: ["ServiceProviderConfig", "ListUsers"] },
                status: { type: "string", enum: ["SUCCESS", "FAILURE"] },
                httpStatus: { type: ["integer", "null"] },
                classification: {
                  type: "string",
                  enum: [
                    "AUTH_REFUSED",
                    "NOT_FOUND",
                    "TLS",
                    "TIMEOUT",
                    "NOT_SCIM",
                    "RATE_LIMITED",
                    "SERVER_ERROR",
                    "REDIRECT",
                    "REJECTED",
                    "NETWORK",
                  ],
                },
                detail: { type: "string" },
              },
            },
          },
        },
      },
    },
  ),
  op(
    "GET",
    "/api/v1/apps/{appId}/features",
    "listFeaturesForApplication",
    "List provisioning features",
    "ApplicationFeatures",
    "okta.apps.read",
    { response: "ApplicationFeature", list: true },
  ),
  op(
    "GET",
    "/api/v1/apps/{appId}/features/{name}",
    "getFeatureForApplication",
    "Retrieve USER_PROVISIONING",
    "ApplicationFeatures",
    "okta.apps.read",
    { response: "ApplicationFeature" },
  ),
  op(
    "PUT",
    "/api/v1/apps/{appId}/features/{name}",
    "updateFeatureForApplication",
    "Update USER_PROVISIONING (partial)",
    "ApplicationFeatures",
    "okta.apps.manage",
    { response: "ApplicationFeature" },
  ),
  op(
    "GET",
    "/api/v1/apps/{appId}/features/INBOUND_PROVISIONING",
    "getInboundProvisioningFeature",
    "Retrieve INBOUND_PROVISIONING (Okta: getFeatureForApplication)",
    "ApplicationFeatures",
    "okta.apps.read",
    { response: "ApplicationFeature" },
  ),
  op(
    "PUT",
    "/api/v1/apps/{appId}/features/INBOUND_PROVISIONING",
    "updateInboundProvisioningFeature",
    "Update INBOUND_PROVISIONING (Okta: updateFeatureForApplication)",
    "ApplicationFeatures",
    "okta.apps.manage",
    { response: "ApplicationFeature" },
  ),
  op(
    "GET",
    "/api/v1/apps/{appId}/provisioning/unprovisioned-users",
    "listUnprovisionedUsers",
    "Assignments without a downstream account",
    EXT,
    "okta.apps.read",
    { response: "AppUser", list: true, extension: true },
  ),
  op(
    "GET",
    "/api/v1/apps/{appId}/provisioning/pending-passwords",
    "listPendingPasswords",
    "Assignments waiting for the user's Okta password (Sync Password with the Okta password): until the user's next sign-in, then until delivered",
    EXT,
    "okta.apps.read",
    {
      extension: true,
      list: true,
      responseSchema: {
        type: "array",
        items: {
          type: "object",
          required: ["userId", "status"],
          properties: {
            userId: { type: "string" },
            status: { type: "string", enum: ["WAITING_FOR_SIGN_IN", "DELIVERING", "DELIVERY_FAILED"] },
            summary: { type: "string" },
            assigned: { type: "string", format: "date-time" },
            passwordChanged: { type: "string", format: "date-time" },
          },
        },
      },
    },
  ),
  op("POST", "/api/v1/apps/{appId}/provisioning/provision-users", "provisionUsers", "Provision Users", EXT, "okta.apps.manage", {
    status: 202,
    extension: true,
  }),
  op(
    "POST",
    "/api/v1/apps/{appId}/provisioning/users/{userId}/sync",
    "syncUserNow",
    "Provision one user now (step trace)",
    EXT,
    "okta.apps.manage",
    { extension: true },
  ),
  op("GET", "/api/v1/apps/{appId}/provisioning/tasks", "listProvisioningTasks", "The outbound task queue", EXT, "okta.apps.read", {
    extension: true,
  }),
  op("POST", "/api/v1/apps/{appId}/provisioning/tasks/{taskId}/retry", "retryProvisioningTask", "Retry a task", EXT, "okta.apps.manage", {
    extension: true,
  }),
  op(
    "GET",
    "/api/v1/apps/{appId}/provisioning/circuit-breaker",
    "getProvisioningCircuitBreaker",
    "The outbound circuit breaker",
    EXT,
    "okta.apps.read",
    {
      extension: true,
    },
  ),
  op(
    "POST",
    "/api/v1/apps/{appId}/provisioning/circuit-breaker/reset",
    "resetProvisioningCircuitBreaker",
    "Close the circuit breaker",
    EXT,
    "okta.apps.manage",
    {
      extension: true,
    },
  ),
  op(
    "GET",
    "/api/v1/apps/{appId}/provisioning/deactivation-holds",
    "listDeactivationHolds",
    "Deactivations held by the threshold",
    EXT,
    "okta.apps.read",
    {
      extension: true,
    },
  ),
  op(
    "POST",
    "/api/v1/apps/{appId}/provisioning/deactivation-holds/{holdId}/release",
    "releaseDeactivationHold",
    "Run held deactivations",
    EXT,
    "okta.apps.manage",
    {
      extension: true,
    },
  ),
  op(
    "POST",
    "/api/v1/apps/{appId}/provisioning/deactivation-holds/{holdId}/discard",
    "discardDeactivationHold",
    "Drop held deactivations",
    EXT,
    "okta.apps.manage",
    {
      extension: true,
    },
  ),

  op(
    "GET",
    "/api/v1/apps/{appId}/group-push/mappings",
    "listGroupPushMappings",
    "List Group Push mappings",
    "GroupPushMapping",
    "okta.apps.read",
    { response: "GroupPushMapping", list: true },
  ),
  op("POST", "/api/v1/apps/{appId}/group-push/mappings", "createGroupPushMapping", "Push a group", "GroupPushMapping", "okta.apps.manage", {
    status: 201,
    response: "GroupPushMapping",
  }),
  op(
    "GET",
    "/api/v1/apps/{appId}/group-push/mappings/{mappingId}",
    "getGroupPushMapping",
    "Retrieve a Group Push mapping",
    "GroupPushMapping",
    "okta.apps.read",
    { response: "GroupPushMapping" },
  ),
  op(
    "PATCH",
    "/api/v1/apps/{appId}/group-push/mappings/{mappingId}",
    "updateGroupPushMapping",
    "Activate or deactivate a mapping",
    "GroupPushMapping",
    "okta.apps.manage",
    { response: "GroupPushMapping" },
  ),
  op(
    "DELETE",
    "/api/v1/apps/{appId}/group-push/mappings/{mappingId}",
    "deleteGroupPushMapping",
    "Delete an inactive mapping",
    "GroupPushMapping",
    "okta.apps.manage",
    { status: 204 },
  ),

  op("POST", "/api/v1/apps/{appId}/imports", "startImport", "Start an import (To Okta)", EXT, "okta.apps.manage", {
    status: 202,
    extension: true,
  }),
  op("GET", "/api/v1/apps/{appId}/imports", "listImports", "List import sessions", EXT, "okta.apps.read", { extension: true }),
  op("GET", "/api/v1/apps/{appId}/imports/{sessionId}", "getImport", "Retrieve an import session", EXT, "okta.apps.read", {
    extension: true,
  }),
  op("GET", "/api/v1/apps/{appId}/imports/{sessionId}/items", "listImportItems", "The import's plan", EXT, "okta.apps.read", {
    extension: true,
  }),
  op("POST", "/api/v1/apps/{appId}/imports/{sessionId}/confirm", "confirmImport", "Confirm items", EXT, "okta.apps.manage", {
    extension: true,
  }),
  op("POST", "/api/v1/apps/{appId}/imports/{sessionId}/cancel", "cancelImport", "Cancel an import", EXT, "okta.apps.manage", {
    extension: true,
  }),
  op("GET", "/api/v1/import-safeguards", "getImportSafeguards", "Import safeguards", EXT, "okta.apps.read", { extension: true }),
  op("PUT", "/api/v1/import-safeguards", "updateImportSafeguards", "Set import safeguards", EXT, "okta.apps.manage", { extension: true }),
  op("GET", "/api/v1/import-roadblock", "getImportRoadblock", "The import roadblock", EXT, "okta.apps.read", { extension: true }),
  op(
    "POST",
    "/api/v1/import-roadblock/resume",
    "resumeImportRoadblock",
    "Apply the paused import and resume the others",
    EXT,
    "okta.apps.manage",
    { extension: true },
  ),
  op(
    "POST",
    "/api/v1/import-roadblock/cancel",
    "cancelImportRoadblock",
    "Cancel the paused import and resume the others",
    EXT,
    "okta.apps.manage",
    { extension: true },
  ),

  op(
    "GET",
    "/api/v1/meta/schemas/apps/{appId}/default",
    "getApplicationUserSchema",
    "Retrieve the app user schema",
    "Schema",
    "okta.schemas.read",
  ),
  op(
    "POST",
    "/api/v1/meta/schemas/apps/{appId}/default",
    "updateApplicationUserProfile",
    "Update the app user schema (partial)",
    "Schema",
    "okta.schemas.manage",
  ),
  op("GET", "/api/v1/mappings", "listProfileMappings", "List profile mappings", "ProfileMapping", "okta.profileMappings.read"),
  op(
    "GET",
    "/api/v1/mappings/{mappingId}",
    "getProfileMapping",
    "Retrieve a profile mapping",
    "ProfileMapping",
    "okta.profileMappings.read",
  ),
  op(
    "POST",
    "/api/v1/mappings/{mappingId}",
    "updateProfileMapping",
    "Update a profile mapping",
    "ProfileMapping",
    "okta.profileMappings.manage",
  ),
  op("GET", "/api/v1/logs", "listLogEvents", "List System Log events", "SystemLog", "okta.logs.read", { response: "LogEvent", list: true }),
  op("POST", "/api/v1/inlineHooks", "createInlineHook", "Create an inline hook", "InlineHook", "okta.inlineHooks.manage"),
  op("GET", "/api/v1/inlineHooks", "listInlineHooks", "List inline hooks", "InlineHook", "okta.inlineHooks.read"),
  op("GET", "/api/v1/inlineHooks/{hookId}", "getInlineHook", "Retrieve an inline hook", "InlineHook", "okta.inlineHooks.read"),
  op("PUT", "/api/v1/inlineHooks/{hookId}", "replaceInlineHook", "Replace an inline hook", "InlineHook", "okta.inlineHooks.manage"),
  op(
    "DELETE",
    "/api/v1/inlineHooks/{hookId}",
    "deleteInlineHook",
    "Delete an inactive inline hook",
    "InlineHook",
    "okta.inlineHooks.manage",
    { status: 204 },
  ),
  op(
    "POST",
    "/api/v1/inlineHooks/{hookId}/lifecycle/activate",
    "activateInlineHook",
    "Activate an inline hook",
    "InlineHook",
    "okta.inlineHooks.manage",
  ),
  op(
    "POST",
    "/api/v1/inlineHooks/{hookId}/lifecycle/deactivate",
    "deactivateInlineHook",
    "Deactivate an inline hook",
    "InlineHook",
    "okta.inlineHooks.manage",
  ),
  op(
    "POST",
    "/api/v1/apps/{appId}/grants",
    "grantConsentToScope",
    "Grant an okta.* scope to an OAuth 2.0 client app (an existing grant answers 200)",
    grants,
    "okta.appGrants.manage",
    {
      status: 201,
      response: "OAuth2ScopeConsentGrant",
    },
  ),
  op("GET", "/api/v1/apps/{appId}/grants", "listScopeConsentGrants", "List an app's scope grants", grants, "okta.appGrants.read", {
    response: "OAuth2ScopeConsentGrant",
    list: true,
  }),
  op("GET", "/api/v1/apps/{appId}/grants/{grantId}", "getScopeConsentGrant", "Retrieve a scope grant", grants, "okta.appGrants.read", {
    response: "OAuth2ScopeConsentGrant",
  }),
  op(
    "DELETE",
    "/api/v1/apps/{appId}/grants/{grantId}",
    "revokeScopeConsentGrant",
    "Revoke a scope grant (tokens lose the scope at once)",
    grants,
    "okta.appGrants.manage",
    {
      status: 204,
    },
  ),

  op(
    "POST",
    "/oauth2/v1/token",
    "token",
    "Get an access token: client_credentials, the client authenticated with a private_key_jwt client assertion (RS256 or ES256, keys inline or at jwks_uri), client_secret_basic (Authorization: Basic) or client_secret_post; DPoP-bound for clients that require DPoP. Errors are OAuth's {error, error_description}.",
    oauth,
    null,
    {
      requestBody: {
        required: true,
        content: {
          "application/x-www-form-urlencoded": {
            schema: {
              type: "object",
              required: ["grant_type", "scope"],
              properties: {
                grant_type: { type: "string", enum: ["client_credentials"] },
                scope: { type: "string", description: "Space-separated okta.* scopes, each granted to the client" },
                ...CLIENT_AUTH_FORM,
              },
            },
          },
        },
      },
      responseSchema: {
        type: "object",
        required: ["access_token", "token_type", "expires_in", "scope"],
        properties: {
          access_token: { type: "string" },
          token_type: { type: "string", enum: ["Bearer", "DPoP"] },
          expires_in: { type: "integer" },
          scope: { type: "string" },
        },
      },
    },
  ),
  op(
    "POST",
    "/oauth2/v1/revoke",
    "revoke",
    "Revoke an access token of the authenticating client (RFC 7009): 200 with no body, also for a token that is invalid or expired; the API refuses the token (401) from then on",
    oauth,
    null,
    { requestBody: tokenForm("the access token to revoke") },
  ),
  op(
    "POST",
    "/oauth2/v1/introspect",
    "introspect",
    "Introspect an access token of the authenticating client (RFC 7662): {active: false} for a token the API would refuse, else its claims with the scopes still granted",
    oauth,
    null,
    {
      requestBody: tokenForm("the access token to introspect"),
      responseSchema: {
        type: "object",
        required: ["active"],
        properties: {
          active: { type: "boolean" },
          scope: { type: "string" },
          client_id: { type: "string" },
          token_type: { type: "string", enum: ["Bearer", "DPoP"] },
          exp: { type: "integer" },
          iat: { type: "integer" },
          sub: { type: "string" },
          aud: { type: "string" },
          iss: { type: "string" },
          jti: { type: "string" },
          cnf: { type: "object", properties: { jkt: { type: "string" } } },
        },
      },
    },
  ),
  op("GET", "/oauth2/v1/keys", "oauthKeys", "The public keys access tokens are signed with (JWKS)", oauth, null, {
    responseSchema: { type: "object", required: ["keys"], properties: { keys: { type: "array", items: { type: "object" } } } },
  }),

  op(
    "GET",
    "/api/v1/apps/{appId}/credentials/secrets",
    "listOAuth2ClientSecrets",
    "List an OAuth 2.0 client's secrets (never their values)",
    "ApplicationSSOPublicKeys",
    "okta.apps.read",
    { response: "OAuth2ClientSecret", list: true },
  ),
  op(
    "POST",
    "/api/v1/apps/{appId}/credentials/secrets",
    "createOAuth2ClientSecret",
    "Create a client secret (given, or generated): its value is in this answer only; at most two per client",
    "ApplicationSSOPublicKeys",
    "okta.apps.manage",
    { status: 201, response: "OAuth2ClientSecret" },
  ),
  op(
    "GET",
    "/api/v1/apps/{appId}/credentials/secrets/{secretId}",
    "getOAuth2ClientSecret",
    "Retrieve a client secret (never its value)",
    "ApplicationSSOPublicKeys",
    "okta.apps.read",
    { response: "OAuth2ClientSecret" },
  ),
  op(
    "DELETE",
    "/api/v1/apps/{appId}/credentials/secrets/{secretId}",
    "deleteOAuth2ClientSecret",
    "Delete an inactive client secret",
    "ApplicationSSOPublicKeys",
    "okta.apps.manage",
    { status: 204 },
  ),
  op(
    "POST",
    "/api/v1/apps/{appId}/credentials/secrets/{secretId}/lifecycle/activate",
    "activateOAuth2ClientSecret",
    "Activate a client secret",
    "ApplicationSSOPublicKeys",
    "okta.apps.manage",
    { response: "OAuth2ClientSecret" },
  ),
  op(
    "POST",
    "/api/v1/apps/{appId}/credentials/secrets/{secretId}/lifecycle/deactivate",
    "deactivateOAuth2ClientSecret",
    "Deactivate a client secret (not the only active one)",
    "ApplicationSSOPublicKeys",
    "okta.apps.manage",
    { response: "OAuth2ClientSecret" },
  ),

  op("GET", "/api/v1/api-tokens", "listApiTokens", "List API token metadata", "ApiToken", "okta.apiTokens.read", {
    response: "ApiToken",
    list: true,
  }),
  op(
    "POST",
    "/api/v1/api-tokens",
    "createApiToken",
    "Mint an API token (its value is returned once, as `token`)",
    EXT,
    "okta.apiTokens.manage",
    {
      status: 201,
      response: "ApiToken",
      extension: true,
    },
  ),
  op("GET", "/api/v1/api-tokens/{apiTokenId}", "getApiToken", "Retrieve an API token's metadata", "ApiToken", "okta.apiTokens.read", {
    response: "ApiToken",
  }),
  op(
    "PUT",
    "/api/v1/api-tokens/{apiTokenId}",
    "upsertApiToken",
    "Rename an API token (network: ANYWHERE only)",
    "ApiToken",
    "okta.apiTokens.manage",
    {
      response: "ApiToken",
    },
  ),
  op("DELETE", "/api/v1/api-tokens/{apiTokenId}", "revokeApiToken", "Revoke an API token", "ApiToken", "okta.apiTokens.manage", {
    status: 204,
  }),
  op(
    "DELETE",
    "/api/v1/api-tokens/{apiTokenId}/sessions",
    "endApiTokenSessions",
    "End every admin-console session signed in with the API token (`current`: the calling one)",
    EXT,
    "okta.apiTokens.manage",
    { status: 204, extension: true },
  ),
  op(
    "DELETE",
    "/api/v1/api-tokens/current",
    "revokeCurrentApiToken",
    "Revoke the API token of this request",
    "ApiToken",
    "okta.apiTokens.manage",
    {
      status: 204,
    },
  ),
];

export const OAUTH_ERROR_SCHEMA = oauthError;
