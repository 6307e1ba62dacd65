import { generateKeyPairSync } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startScimServer } from "../scim/scim-server";
import { SDK_TOKEN, startLocalWorker, type LocalWorker } from "./local-worker";

// Real responses from every endpoint family, validated against the schemas in Okta's published
// spec (src/openapi/okta-schemas.json, extracted by scripts/extract-okta-schemas.mjs). Enums,
// types, formats and required fields must match; additional properties are allowed, as Okta
// allows them ("new properties may be added").
const fixture = JSON.parse(readFileSync(new URL("../../src/openapi/okta-schemas.json", import.meta.url), "utf8"));
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: "okta", definitions: fixture.definitions });
const validators = new Map<string, ValidateFunction>();
function validator(name: string): ValidateFunction {
  let v = validators.get(name);
  if (!v) {
    v = ajv.compile({ $ref: `okta#/definitions/${name}` });
    validators.set(name, v);
  }
  return v;
}

function expectConforms(name: string, value: unknown) {
  const validate = validator(name);
  const ok = validate(value);
  expect(ok, `${name}: ${ajv.errorsText(validate.errors, { separator: "\n" })}\n${JSON.stringify(value).slice(0, 400)}`).toBe(true);
}

let worker: LocalWorker;
let scim: Awaited<ReturnType<typeof startScimServer>>;

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${worker.url}${path}`, {
    method,
    headers: { Authorization: `SSWS ${SDK_TOKEN}`, "Content-Type": "application/json", Accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  [worker, scim] = await Promise.all([startLocalWorker({ DOWNSTREAM_ACCESS: "local" }), startScimServer()]);
});

afterAll(async () => {
  await Promise.all([worker?.stop(), scim?.close()]);
});

describe("responses conform to Okta's published schemas", () => {
  it("User, Group, Application, OpenIdConnectApplication, OAuth2ScopeConsentGrant, OAuth2ClientSecret, AppUser, ApplicationGroupAssignment, features, connection, push mapping, LogEvent, ApiToken and Error", async () => {
    const stamp = Date.now();
    const user = await call("POST", "/api/v1/users?activate=true", {
      profile: { firstName: "Con", lastName: "Form", email: `conform.${stamp}@example.com`, login: `conform.${stamp}@example.com` },
      credentials: { password: { value: "Conform-1234" } },
    });
    expectConforms("User", user.body);
    for (const listed of (await call("GET", "/api/v1/users?limit=5")).body) expectConforms("User", listed);

    const group = await call("POST", "/api/v1/groups", { profile: { name: `Conformance ${stamp}`, description: "schema check" } });
    expectConforms("Group", group.body);
    expectConforms("Group", (await call("GET", `/api/v1/groups/${group.body.id}?expand=stats`)).body);
    await call("PUT", `/api/v1/groups/${group.body.id}/users/${user.body.id}`);
    for (const member of (await call("GET", `/api/v1/groups/${group.body.id}/users`)).body) expectConforms("User", member);
    for (const listed of (await call("GET", `/api/v1/users/${user.body.id}/groups`)).body) expectConforms("Group", listed);

    const bookmark = await call("POST", "/api/v1/apps", {
      name: "bookmark",
      label: `Conform ${stamp}`,
      signOnMode: "BOOKMARK",
      settings: { app: { url: "https://example.com" } },
    });
    expectConforms("Application", bookmark.body);
    const saml = await call("POST", "/api/v1/apps", {
      label: `SAML ${stamp}`,
      signOnMode: "SAML_2_0",
      settings: { signOn: { ssoAcsUrl: "https://sp.example.com/acs", audience: "https://sp.example.com" } },
    });
    expectConforms("Application", saml.body);
    const app = bookmark.body;

    // An OAuth 2.0 service app (RSA and EC public keys) and its scope grants.
    const jwk = (type: "rsa" | "ec", kid: string) =>
      ({
        ...(type === "rsa"
          ? generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey
          : generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey
        ).export({ format: "jwk" }),
        kid,
      }) as Record<string, unknown>;
    const service = await call("POST", "/api/v1/apps", {
      name: "oidc_client",
      label: `Service ${stamp}`,
      signOnMode: "OPENID_CONNECT",
      credentials: { oauthClient: { token_endpoint_auth_method: "private_key_jwt" } },
      settings: {
        oauthClient: {
          grant_types: ["client_credentials"],
          application_type: "service",
          jwks: { keys: [jwk("rsa", "r1"), jwk("ec", "e1")] },
        },
      },
    });
    expect(service.status).toBe(200);
    expectConforms("Application", service.body);
    expectConforms("OpenIdConnectApplication", service.body);
    expectConforms("OpenIdConnectApplication", (await call("GET", `/api/v1/apps/${service.body.id}`)).body);
    const grant = await call("POST", `/api/v1/apps/${service.body.id}/grants`, { issuer: worker.url, scopeId: "okta.users.read" });
    expect(grant.status).toBe(201);
    expectConforms("OAuth2ScopeConsentGrant", grant.body);
    expectConforms("OAuth2ScopeConsentGrant", (await call("GET", `/api/v1/apps/${service.body.id}/grants/${grant.body.id}`)).body);
    for (const listed of (await call("GET", `/api/v1/apps/${service.body.id}/grants`)).body)
      expectConforms("OAuth2ScopeConsentGrant", listed);

    // A service app with a client secret (shown once) and a second secret for rotation.
    const secretApp = await call("POST", "/api/v1/apps", {
      label: `Secret service ${stamp}`,
      signOnMode: "OPENID_CONNECT",
      credentials: { oauthClient: { token_endpoint_auth_method: "client_secret_post" } },
      settings: { oauthClient: { grant_types: ["client_credentials"], application_type: "service" } },
    });
    expect(secretApp.status).toBe(200);
    expect(secretApp.body.credentials.oauthClient.client_secret).toEqual(expect.any(String));
    expectConforms("OpenIdConnectApplication", secretApp.body);
    const secret = await call("POST", `/api/v1/apps/${secretApp.body.id}/credentials/secrets`, {});
    expect(secret.status).toBe(201);
    expectConforms("OAuth2ClientSecret", secret.body);
    expectConforms(
      "OAuth2ClientSecret",
      (await call("GET", `/api/v1/apps/${secretApp.body.id}/credentials/secrets/${secret.body.id}`)).body,
    );
    for (const listed of (await call("GET", `/api/v1/apps/${secretApp.body.id}/credentials/secrets`)).body)
      expectConforms("OAuth2ClientSecret", listed);
    expectConforms(
      "OAuth2ClientSecret",
      (await call("POST", `/api/v1/apps/${secretApp.body.id}/credentials/secrets/${secret.body.id}/lifecycle/deactivate`)).body,
    );

    const assigned = await call("POST", `/api/v1/apps/${app.id}/users`, { id: user.body.id, scope: "USER", profile: { role: "dev" } });
    expectConforms("AppUser", assigned.body);
    expectConforms("AppUser", (await call("GET", `/api/v1/apps/${app.id}/users/${user.body.id}?expand=user`)).body);
    for (const listed of (await call("GET", `/api/v1/apps/${app.id}/users?expand=user`)).body) expectConforms("AppUser", listed);

    const groupApp = saml.body;
    const assignment = await call("PUT", `/api/v1/apps/${groupApp.id}/groups/${group.body.id}`, { priority: 0, profile: { region: "eu" } });
    expectConforms("ApplicationGroupAssignment", assignment.body);
    for (const listed of (await call("GET", `/api/v1/apps/${groupApp.id}/groups?expand=group`)).body)
      expectConforms("ApplicationGroupAssignment", listed);

    const connection = await call("POST", `/api/v1/apps/${app.id}/connections/default?activate=true`, {
      baseUrl: `${scim.origin}/t/conformance/scim/v2`,
      profile: { authScheme: "TOKEN", token: "scim-test-token" },
    });
    expect(connection.status).toBe(200);
    expectConforms("ProvisioningConnectionResponse", connection.body);
    const features = await call("GET", `/api/v1/apps/${app.id}/features`);
    for (const feature of features.body) expectConforms("ApplicationFeature", feature);
    expectConforms(
      "ApplicationFeature",
      (await call("PUT", `/api/v1/apps/${app.id}/features/USER_PROVISIONING`, { create: { lifecycleCreate: { status: "ENABLED" } } })).body,
    );

    const pushGroup = await call("POST", "/api/v1/groups", { profile: { name: `Push ${stamp}` } });
    const mapping = await call("POST", `/api/v1/apps/${app.id}/group-push/mappings`, {
      sourceGroupId: pushGroup.body.id,
      targetGroupName: `Push ${stamp}`,
    });
    expect(mapping.status).toBe(201);
    expectConforms("GroupPushMapping", mapping.body);
    expectConforms("GroupPushMapping", (await call("GET", `/api/v1/apps/${app.id}/group-push/mappings/${mapping.body.id}`)).body);
    for (const listed of (await call("GET", `/api/v1/apps/${app.id}/group-push/mappings`)).body) expectConforms("GroupPushMapping", listed);
    expectConforms("ProvisioningConnectionResponse", (await call("GET", `/api/v1/apps/${app.id}/connections/default`)).body);
    expectConforms("ApplicationFeature", (await call("GET", `/api/v1/apps/${app.id}/features/INBOUND_PROVISIONING`)).body);

    await call("POST", `/api/v1/apps/${app.id}/imports`, { dryRun: true });
    // Every event this run wrote (assignments, group assignment, memberships, lifecycle, import, ...).
    const logs = await call("GET", `/api/v1/logs?since=${new Date(stamp - 60_000).toISOString()}&limit=1000`);
    expect(logs.body.length).toBeGreaterThan(0);
    for (const event of logs.body) expectConforms("LogEvent", event);
    const eventTypes = new Set(logs.body.map((event: { eventType: string }) => event.eventType));
    for (const type of [
      "user.lifecycle.create",
      "group.lifecycle.create",
      "group.user_membership.add",
      "application.lifecycle.create",
      "application.user_membership.add",
      "group.application_assignment.add",
      "system.import.start",
    ])
      expect(eventTypes, type).toContain(type);

    // The spec's TimeDuration pattern, ^P(?:$)(\d+Y)?..., accepts only "P" and so rejects Okta's own
    // example tokenWindow "P30D": tokenWindow is checked against ISO 8601 here instead.
    const expectApiToken = ({ tokenWindow, ...token }: Record<string, unknown>) => {
      expect(tokenWindow).toMatch(/^P(\d+[YMWD])+$/);
      expectConforms("ApiToken", token);
    };
    const minted = await call("POST", "/api/v1/api-tokens", { name: `Conformance ${stamp}`, userId: user.body.id });
    expectApiToken(minted.body);
    expectApiToken((await call("GET", `/api/v1/api-tokens/${minted.body.id}`)).body);
    // The bootstrap token (no userId, no expiresAt) among them.
    for (const token of (await call("GET", "/api/v1/api-tokens")).body) expectApiToken(token);

    for (const error of [
      await call("GET", "/api/v1/users/nobody-here"),
      await call("POST", "/api/v1/users", { profile: {} }),
      await call("PATCH", "/api/v1/users"),
      await call("DELETE", `/api/v1/apps/${app.id}/users/${user.body.id}x`),
      await call("DELETE", "/api/v1/api-tokens/00Tnothere"),
      await call("POST", `/api/v1/apps/${service.body.id}/grants`, { issuer: worker.url, scopeId: "okta.roles.manage" }),
      await call("POST", "/api/v1/apps", {
        label: "No keys",
        signOnMode: "OPENID_CONNECT",
        credentials: { oauthClient: { token_endpoint_auth_method: "private_key_jwt" } },
        settings: { oauthClient: { grant_types: ["client_credentials"] } },
      }),
    ]) {
      expect(error.status).toBeGreaterThanOrEqual(400);
      expectConforms("Error", error.body);
    }
  });
});

describe("seed 003 shapes conform to Okta's schemas", () => {
  it("AssignedAppLink (listAppLinks) for direct and group assignments, and a catalog-made Application", async () => {
    const stamp = Date.now();
    const login = `applinks.${stamp}@example.com`;
    const user = await call("POST", "/api/v1/users?activate=true", {
      profile: { firstName: "App", lastName: "Links", email: login, login },
    });
    const group = await call("POST", "/api/v1/groups", { profile: { name: `App links ${stamp}` } });
    await call("PUT", `/api/v1/groups/${group.body.id}/users/${user.body.id}`);
    const slack = await call("POST", "/api/v1/apps", {
      name: "slack",
      label: `Slack ${stamp}`,
      signOnMode: "SAML_2_0",
      settings: { app: { domain: "acme" } },
    });
    expectConforms("Application", slack.body);
    const clone = await call("POST", `/api/v1/apps/${slack.body.id}/clone`, { label: `Slack provisioning ${stamp}` });
    expectConforms("Application", clone.body);
    const bookmark = await call("POST", "/api/v1/apps", {
      label: `Links ${stamp}`,
      signOnMode: "BOOKMARK",
      settings: { app: { url: "https://example.com" } },
      visibility: { hide: { web: true, iOS: false } },
    });
    await call("POST", `/api/v1/apps/${slack.body.id}/users`, { id: user.body.id });
    await call("PUT", `/api/v1/apps/${bookmark.body.id}/groups/${group.body.id}`);
    const links = await call("GET", `/api/v1/users/${user.body.id}/appLinks`);
    expect(links.status).toBe(200);
    expect(links.body).toHaveLength(2);
    for (const link of links.body) expectConforms("AssignedAppLink", link);
    expect(links.body.map((l: { hidden: boolean }) => l.hidden)).toEqual([false, true]);
    expectConforms("Error", (await call("GET", "/api/v1/users/00uNoSuchUser1234567/appLinks")).body);
  });
});

describe("the schema fixture", () => {
  it("is exactly what the extraction script makes of Okta's spec, and names its source and licence", async () => {
    expect(fixture).toMatchObject({ source: "https://github.com/okta/okta-management-openapi-spec", license: "Apache-2.0" });
    const { DEFAULT_SPEC, extract } = await import("../../scripts/extract-okta-schemas.mjs");
    // CI and developers' machines have the spec beside the repository (../shared); elsewhere the
    // fixture's own metadata above is what can be checked.
    if (existsSync(DEFAULT_SPEC)) expect(JSON.parse(extract(DEFAULT_SPEC))).toEqual(fixture);
  });
});
