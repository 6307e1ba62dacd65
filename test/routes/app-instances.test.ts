import { describe, expect, it } from "vitest";
import { api, createApp, createGroup, createUser, unique } from "../helpers/api";
import { SCIM_TOKEN, scimTenant } from "../helpers/scim";

const CUSTOM_ATTRIBUTE = { definitions: { custom: { properties: { costCenter: { title: "Cost center", type: "string" } } } } };

/** An SSO app with everything a separate instance must and must not copy. */
async function sourceApp() {
  const scim = scimTenant();
  const app = await createApp({
    label: unique("HR Portal "),
    signOnMode: "AUTO_LOGIN",
    settings: { signOn: { loginUrl: "https://hr.example.com/login" } },
    credentials: { scheme: "SHARED_USERNAME_AND_PASSWORD", userName: "team", password: { value: "shared-secret-1" } },
  });
  await api("POST", `/api/v1/meta/schemas/apps/${app.id}/default`, CUSTOM_ATTRIBUTE);
  const [mapping] = (await api("GET", `/api/v1/mappings?targetId=${app.id}`)).body;
  await api("POST", `/api/v1/mappings/${mapping.id}`, {
    properties: { costCenter: { expression: "user.department", pushStatus: "PUSH" } },
  });
  await api("POST", `/api/v1/apps/${app.id}/connections/default?activate=true`, {
    baseUrl: scim.baseUrl,
    profile: { authScheme: "TOKEN", token: SCIM_TOKEN },
    pacing: { requestsPerSecond: 7 },
  });
  await api("PUT", `/api/v1/apps/${app.id}/features/USER_PROVISIONING`, {
    create: { lifecycleCreate: { status: "ENABLED" } },
    update: { lifecycleDeactivate: { status: "ENABLED" }, password: { status: "ENABLED", seed: "OKTA", change: "CHANGE" } },
  });
  const user = await createUser();
  await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
  const pushed = await createGroup();
  await api("POST", `/api/v1/apps/${app.id}/group-push/mappings`, { sourceGroupId: pushed.id, targetGroupName: "Pushed" });
  return { app, scim };
}

describe("separate app instances (POST /api/v1/apps/{appId}/clone)", () => {
  it("copies template, settings, schema, mappings and provisioning options, but no assignments, push mappings or secrets", async () => {
    const { app, scim } = await sourceApp();
    const res = await api("POST", `/api/v1/apps/${app.id}/clone`, {
      label: "HR Portal (provisioning)",
      visibility: { hide: { web: true, iOS: true } },
    });
    expect(res.status).toBe(200);
    const clone = res.body;
    expect(clone.id).not.toBe(app.id);
    expect(clone).toMatchObject({
      label: "HR Portal (provisioning)",
      status: "ACTIVE",
      signOnMode: "AUTO_LOGIN",
      settings: { signOn: { loginUrl: "https://hr.example.com/login" } },
      visibility: { hide: { web: true, iOS: true } },
      credentials: { scheme: "SHARED_USERNAME_AND_PASSWORD", userName: "team" },
    });
    // A custom app's instance gets a name of its own; the shared password stays with the first instance.
    expect(clone.name).not.toBe(app.name);
    expect(clone.credentials.password).toBeUndefined();

    const schema = await api("GET", `/api/v1/meta/schemas/apps/${clone.id}/default`);
    expect(schema.body.definitions.custom.properties.costCenter).toMatchObject({ title: "Cost center", type: "string" });
    const [mapping] = (await api("GET", `/api/v1/mappings?targetId=${clone.id}`)).body;
    expect((await api("GET", `/api/v1/mappings/${mapping.id}`)).body.properties).toEqual({
      costCenter: { expression: "user.department", pushStatus: "PUSH" },
    });
    expect((await api("GET", `/api/v1/apps/${clone.id}/users`)).body).toEqual([]);
    expect((await api("GET", `/api/v1/apps/${clone.id}/groups`)).body).toEqual([]);

    // No connection until its credentials are entered (and tested): nothing can provision yet.
    const connection = await api("GET", `/api/v1/apps/${clone.id}/connections/default`);
    expect(connection.status).toBe(400);
    const noToken = await api("POST", `/api/v1/apps/${clone.id}/connections/default`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "TOKEN" },
    });
    expect(noToken.status).toBe(400);
    expect(noToken.body.errorCauses[0].errorSummary).toBe("profile.token: required");
    const saved = await api("POST", `/api/v1/apps/${clone.id}/connections/default`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "TOKEN", token: SCIM_TOKEN },
    });
    expect(saved.status).toBe(200);
    expect(saved.body.pacing).toEqual({ requestsPerSecond: 7 });
    expect((await api("POST", `/api/v1/apps/${clone.id}/connections/default/test`)).body.status).toBe("SUCCESS");
    const [source, copy] = await Promise.all([
      api("GET", `/api/v1/apps/${app.id}/features/USER_PROVISIONING`),
      api("GET", `/api/v1/apps/${clone.id}/features/USER_PROVISIONING`),
    ]);
    expect(copy.body.capabilities).toEqual(source.body.capabilities);
    expect((await api("GET", `/api/v1/apps/${clone.id}/group-push/mappings`)).body).toEqual([]);
  });

  it("keeps a catalog app's template and name, and its offered features", async () => {
    const slack = (
      await api("POST", "/api/v1/apps", {
        name: "slack",
        label: "Slack SSO",
        signOnMode: "SAML_2_0",
        settings: { app: { domain: "acme" } },
      })
    ).body;
    const clone = await api("POST", `/api/v1/apps/${slack.id}/clone?activate=false`, { label: "Slack provisioning" });
    expect(clone.status).toBe(200);
    expect(clone.body).toMatchObject({ name: "slack", status: "INACTIVE", settings: { app: { domain: "acme" } } });
    const basic = await api("POST", `/api/v1/apps/${clone.body.id}/connections/default`, {
      baseUrl: scimTenant().baseUrl,
      profile: { authScheme: "BASIC", username: "u", password: "p" },
    });
    expect(basic.body.errorCauses[0].errorSummary).toBe("profile.authScheme: this app integration authenticates with TOKEN");
  });

  it("answers a missing app with 404 E0000007 and a bad body with 400 E0000001", async () => {
    const missing = await api("POST", "/api/v1/apps/0oaDoesNotExist12345/clone", { label: "x" });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      errorCode: "E0000007",
      errorSummary: "Not found: Resource not found: 0oaDoesNotExist12345 (AppInstance)",
    });
    const app = await createApp();
    const noLabel = await api("POST", `/api/v1/apps/${app.id}/clone`, {});
    expect(noLabel.status).toBe(400);
    expect(noLabel.body.errorCode).toBe("E0000001");
    const notJson = await api("POST", `/api/v1/apps/${app.id}/clone`, "label=x", { "Content-Type": "application/x-www-form-urlencoded" });
    expect(notJson.status).toBe(400);
  });
});
