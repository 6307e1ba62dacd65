import { describe, expect, it } from "vitest";
import { api, createApp, createUser } from "../helpers/api";
import { ALL_ON, appUserWhen, eventually, provisionedApp, SCIM_TOKEN, scimTenant } from "../helpers/scim";

describe("connection and settings", () => {
  it("saves a TOKEN connection without ever returning the token, and tests the credentials", async () => {
    const scim = scimTenant();
    const app = await createApp();
    const saved = await api("POST", `/api/v1/apps/${app.id}/connections/default?activate=true`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "TOKEN", token: SCIM_TOKEN },
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ authScheme: "TOKEN", status: "ENABLED", baseUrl: scim.baseUrl, profile: { authScheme: "TOKEN" } });
    expect(JSON.stringify(saved.body)).not.toContain(SCIM_TOKEN);
    expect(JSON.stringify((await api("GET", `/api/v1/apps/${app.id}/connections/default`)).body)).not.toContain(SCIM_TOKEN);

    const ok = await api("POST", `/api/v1/apps/${app.id}/connections/default/test`);
    expect(ok.body).toMatchObject({ status: "SUCCESS", errorSummary: null });
    expect(ok.body.checks.map((c: { name: string }) => c.name)).toEqual(["ServiceProviderConfig", "ListUsers"]);

    await api("POST", `/api/v1/apps/${app.id}/connections/default`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "TOKEN", token: "wrong" },
    });
    const bad = await api("POST", `/api/v1/apps/${app.id}/connections/default/test`);
    expect(bad.body.status).toBe("FAILURE");
    expect(bad.body.errorSummary).toContain("401");

    expect((await api("POST", `/api/v1/apps/${app.id}/connections/default/lifecycle/deactivate`)).status).toBe(204);
    expect((await api("GET", `/api/v1/apps/${app.id}/connections/default`)).body.status).toBe("DISABLED");
    expect((await api("POST", `/api/v1/apps/${app.id}/connections/default/lifecycle/activate`)).status).toBe(204);
  });

  it("accepts Basic credentials and refuses unsafe base URLs", async () => {
    const scim = scimTenant();
    const app = await createApp();
    const basic = await api("POST", `/api/v1/apps/${app.id}/connections/default`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "BASIC", username: "scim-admin", password: "scim-secret" },
    });
    expect(basic.body.profile).toEqual({ authScheme: "BASIC", username: "scim-admin" });
    expect(JSON.stringify(basic.body)).not.toContain("scim-secret");
    expect((await api("POST", `/api/v1/apps/${app.id}/connections/default/test`)).body.status).toBe("SUCCESS");

    for (const baseUrl of ["ftp://example.com/scim", "not a url", "http://user:pw@127.0.0.1/scim", "http://scim.example.com/v2"]) {
      const res = await api("POST", `/api/v1/apps/${app.id}/connections/default`, {
        baseUrl,
        profile: { authScheme: "TOKEN", token: "t" },
      });
      expect(res.status, baseUrl).toBe(400);
    }
  });

  it("answers Okta's error before provisioning is enabled, then takes partial feature updates", async () => {
    const app = await createApp();
    const before = await api("GET", `/api/v1/apps/${app.id}/features`);
    expect(before.status).toBe(400);
    expect(before.body).toMatchObject({
      errorCode: "E0000001",
      errorCauses: [{ errorSummary: "Provisioning is not enabled for the app instance." }],
    });

    const { app: connected } = await provisionedApp({ create: { lifecycleCreate: { status: "ENABLED" } } });
    const features = await api("GET", `/api/v1/apps/${connected.id}/features`);
    expect(features.body[0]).toMatchObject({
      name: "USER_PROVISIONING",
      status: "ENABLED",
      capabilities: {
        create: { lifecycleCreate: { status: "ENABLED" } },
        update: { profile: { status: "DISABLED" }, password: { status: "DISABLED", seed: "RANDOM", change: "KEEP_EXISTING" } },
      },
    });
    const partial = await api("PUT", `/api/v1/apps/${connected.id}/features/USER_PROVISIONING`, {
      update: { password: { status: "ENABLED", seed: "OKTA", change: "CHANGE" }, excludeUsernameUpdates: { status: "ENABLED" } },
    });
    expect(partial.body.capabilities.create.lifecycleCreate.status).toBe("ENABLED");
    expect(partial.body.capabilities.update.password).toEqual({ status: "ENABLED", seed: "OKTA", change: "CHANGE" });
    const appJson = (await api("GET", `/api/v1/apps/${connected.id}`)).body;
    expect(appJson.features).toEqual([
      "PUSH_NEW_USERS",
      "REACTIVATE_USERS",
      "PUSH_PASSWORD_UPDATES",
      "EXCLUDE_USERNAME_UPDATE_ON_PROFILE_PUSH",
      "GROUP_PUSH",
    ]);
    expect((await api("GET", `/api/v1/apps/${connected.id}/features/INBOUND_THING`)).status).toBe(404);
  });
});

describe("To App: create, link, update, deactivate, reactivate", () => {
  it("creates the downstream user with a random password and marks the assignment PROVISIONED", async () => {
    const { app, scim } = await provisionedApp();
    const user = await createUser({ profile: { firstName: "Taylor", lastName: "Smith" } });
    const assigned = await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    expect(assigned.body).toMatchObject({ status: "STAGED", syncState: "SYNCING" });
    expect(assigned.body.externalId).toBeUndefined();

    const provisioned = await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED", "PROVISIONED");
    expect(provisioned).toMatchObject({ syncState: "SYNCHRONIZED" });
    expect(provisioned.lastSync).toMatch(/^\d{4}-\d\d-\d\dT/);
    const state = await scim.state();
    expect(state.users).toHaveLength(1);
    const downstream = state.users[0];
    expect(downstream).toMatchObject({
      id: provisioned.externalId,
      userName: user.profile.login,
      active: true,
      name: { givenName: "Taylor", familyName: "Smith" },
    });
    expect(downstream.emails[0].value).toBe(user.profile.email);
    const [password] = state.passwords[downstream.id];
    expect(password).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(password).toMatch(/[a-z]/);
    expect(password).toMatch(/[A-Z]/);
    expect(password).toMatch(/[0-9]/);
  });

  it("links to an existing downstream user with the same userName instead of creating one", async () => {
    const { app, scim } = await provisionedApp();
    const user = await createUser();
    const existing = await scim.seedUser(user.profile.login);
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const provisioned = await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED");
    expect(provisioned.externalId).toBe(existing.id);
    const state = await scim.state();
    expect(state.users).toHaveLength(1);
    expect(state.requests.filter((r) => r.method === "POST" && r.path === "/Users")).toHaveLength(1); // only the seed
  });

  it("pushes profile changes, deactivates on unassign and reactivates the same account", async () => {
    const { app, scim } = await provisionedApp();
    const user = await createUser({ profile: { firstName: "Old" } });
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const first = await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED");

    await api("POST", `/api/v1/users/${user.id}`, { profile: { firstName: "New" } });
    await eventually(async () => (await scim.state()).users[0].name.givenName === "New", 15_000, "pushed name");
    expect((await scim.state()).requests.some((r) => r.method === "PATCH" && r.path === `/Users/${first.externalId}`)).toBe(true);

    await api("DELETE", `/api/v1/apps/${app.id}/users/${user.id}`);
    await eventually(async () => (await scim.state()).users[0].active === false, 15_000, "deactivated");
    const afterUnassign = await scim.state();
    expect(afterUnassign.users).toHaveLength(1);
    expect(afterUnassign.requests.some((r) => r.method === "DELETE")).toBe(false);

    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const again = await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED");
    expect(again.externalId).toBe(first.externalId);
    const reactivated = await scim.state();
    expect(reactivated.users).toHaveLength(1);
    expect(reactivated.users[0].active).toBe(true);
  });

  it("deactivates downstream when the Okta user is deactivated", async () => {
    const { app, scim } = await provisionedApp();
    const user = await createUser();
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED");
    await api("POST", `/api/v1/users/${user.id}/lifecycle/deactivate`);
    await eventually(async () => (await scim.state()).users[0]?.active === false, 15_000, "deactivated");
  });

  it("uses PUT when the downstream does not support PATCH", async () => {
    const { app, scim } = await provisionedApp();
    await scim.config({ patch: false });
    const user = await createUser({ profile: { firstName: "Put" } });
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const provisioned = await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED");
    await api("POST", `/api/v1/users/${user.id}`, { profile: { firstName: "Putter" } });
    await eventually(async () => (await scim.state()).users[0].name.givenName === "Putter", 15_000, "PUT update");
    const requests = (await scim.state()).requests;
    expect(requests.some((r) => r.method === "PUT" && r.path === `/Users/${provisioned.externalId}`)).toBe(true);
    expect(requests.some((r) => r.method === "PATCH")).toBe(false);
  });

  it("never sends userName on update when username updates are excluded", async () => {
    const { app, scim } = await provisionedApp({ ...ALL_ON, update: { ...ALL_ON.update, excludeUsernameUpdates: { status: "ENABLED" } } });
    const user = await createUser();
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const provisioned = await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED");
    await api("POST", `/api/v1/apps/${app.id}/users/${user.id}`, { credentials: { userName: "renamed.in.okta" } });
    await api("POST", `/api/v1/users/${user.id}`, { profile: { firstName: "Changed" } });
    await eventually(async () => (await scim.state()).users[0].name.givenName === "Changed", 15_000, "update");
    const state = await scim.state();
    expect(state.users[0].userName).toBe(user.profile.login);
    const updates = state.requests.filter((r) => r.method === "PATCH" && r.path === `/Users/${provisioned.externalId}`);
    expect(updates.length).toBeGreaterThan(0);
    for (const update of updates) expect(JSON.stringify(update.body)).not.toContain("userName");
  });

  it("syncs an Okta password change when seed is OKTA and change is CHANGE, and drops it once delivered", async () => {
    const { app, scim } = await provisionedApp({
      ...ALL_ON,
      update: { ...ALL_ON.update, password: { status: "ENABLED", seed: "OKTA", change: "CHANGE" } },
    });
    const user = await createUser();
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const provisioned = await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED");
    expect((await scim.state()).passwords[provisioned.externalId]).toBeUndefined(); // seed OKTA: no random password

    await api("POST", `/api/v1/users/${user.id}`, { credentials: { password: { value: "Brand-New-Passw0rd" } } });
    await eventually(
      async () => (await scim.state()).passwords[provisioned.externalId]?.includes("Brand-New-Passw0rd"),
      15_000,
      "password",
    );
    await eventually(async () => (await api("GET", `/api/v1/apps/${app.id}/provisioning/tasks`)).body.length === 0, 15_000, "task dropped");
  });
});
