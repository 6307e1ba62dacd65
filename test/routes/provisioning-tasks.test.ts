import { describe, expect, it } from "vitest";
import { api, createApp, createGroup, createUser } from "../helpers/api";
import { ALL_ON, appUserWhen, eventually, provisionedApp, SCIM_TOKEN, scimTenant } from "../helpers/scim";

const tasksOf = async (appId: string, status?: string) =>
  (await api("GET", `/api/v1/apps/${appId}/provisioning/tasks${status ? `?status=${status}` : ""}`)).body;

describe("Provision Users and provision on demand", () => {
  it("lists assignments made before provisioning as unprovisioned and provisions them on request", async () => {
    const scim = scimTenant();
    const app = await createApp();
    const users = [await createUser(), await createUser(), await createUser()];
    for (const user of users) await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    await api("POST", `/api/v1/apps/${app.id}/connections/default?activate=true`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "TOKEN", token: SCIM_TOKEN },
    });
    await api("PUT", `/api/v1/apps/${app.id}/features/USER_PROVISIONING`, ALL_ON);

    const unprovisioned = await api("GET", `/api/v1/apps/${app.id}/provisioning/unprovisioned-users`);
    expect(unprovisioned.body.map((u: { id: string }) => u.id)).toEqual(users.map((u) => u.id));
    expect((await scim.state()).users).toHaveLength(0);

    const queued = await api("POST", `/api/v1/apps/${app.id}/provisioning/provision-users`);
    expect(queued.status).toBe(202);
    for (const user of users) await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED");
    expect((await scim.state()).users).toHaveLength(3);
    expect((await api("GET", `/api/v1/apps/${app.id}/provisioning/unprovisioned-users`)).body).toEqual([]);
  });

  it("runs one user's sync now and returns the step trace", async () => {
    const { app, scim } = await provisionedApp();
    await scim.fault({ method: "POST", path: "^/Users$", kind: "500", times: 1 });
    const user = await createUser();
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const failedOnce = await eventually(
      async () => (await tasksOf(app.id)).find((t: { attempts: number }) => t.attempts === 1),
      10_000,
      "first failure",
    );
    expect(failedOnce).toMatchObject({ type: "USER_SYNC", userId: user.id, status: "PENDING", lastStatus: 500 });

    const report = await api("POST", `/api/v1/apps/${app.id}/provisioning/users/${user.id}/sync`);
    expect(report.status).toBe(200);
    const steps = report.body.trace.map((s: { step: string }) => s.step);
    if (report.body.outcome === "DONE") {
      expect(steps).toEqual(["match", "create"]);
      expect(report.body.trace[1].status).toBe(201);
    }
    await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED");
    expect((await scim.state()).users).toHaveLength(1);
  });
});

describe("retries, failures and duplicates", () => {
  it("honours Retry-After on 429 and succeeds without a duplicate", async () => {
    const { app, scim } = await provisionedApp();
    await scim.fault({ method: "POST", path: "^/Users$", kind: "429", retryAfter: "1", times: 2 });
    const user = await createUser();
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const started = Date.now();
    await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED", "provisioned after 429s");
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900); // 1 s, then 2 s (doubling)
    const state = await scim.state();
    expect(state.users).toHaveLength(1);
    expect(state.requests.filter((r) => r.method === "POST" && r.path === "/Users").map((r) => r.status)).toEqual([429, 429, 201]);
  }, 20_000);

  it("does not duplicate a user whose create committed but timed out (search before create)", async () => {
    const { app, scim } = await provisionedApp();
    await scim.fault({ method: "POST", path: "^/Users$", kind: "commit-then-hang", delayMs: 2_500, times: 1 });
    const user = await createUser();
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const provisioned = await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED", "provisioned after timeout");
    const state = await scim.state();
    expect(state.users).toHaveLength(1);
    expect(provisioned.externalId).toBe(state.users[0].id);
  }, 20_000);

  it("links on 409 when the user appears downstream between search and create", async () => {
    const { app, scim } = await provisionedApp();
    const user = await createUser();
    // The create is applied but answered 409, as if another writer got there first.
    await scim.fault({ method: "POST", path: "^/Users$", kind: "commit-then-409", times: 1 });
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const provisioned = await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED");
    const state = await scim.state();
    expect(state.users).toHaveLength(1);
    expect(provisioned.externalId).toBe(state.users[0].id);
    expect(state.requests.filter((r) => r.method === "POST").map((r) => r.status)).toEqual([409]);
    expect(state.requests.filter((r) => r.method === "GET" && r.path.startsWith("/Users?filter")).length).toBe(2);
  });

  it("fails a task at once on a 4xx with the downstream's reason, and retries it on request", async () => {
    const scim = scimTenant();
    const { app } = await provisionedApp();
    // Point the connection at a tenant with a wrong token: every call is 401.
    await api("POST", `/api/v1/apps/${app.id}/connections/default`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "TOKEN", token: "revoked" },
    });
    const user = await createUser();
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const failed = await eventually(async () => (await tasksOf(app.id, "FAILED"))[0], 10_000, "failed task");
    expect(failed).toMatchObject({ type: "USER_SYNC", userId: user.id, attempts: 1, lastStatus: 401 });
    expect(failed.lastError).toContain("401");
    expect((await api("GET", `/api/v1/apps/${app.id}/users/${user.id}`)).body).toMatchObject({ status: "STAGED", syncState: "ERROR" });

    await api("POST", `/api/v1/apps/${app.id}/connections/default`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "TOKEN", token: SCIM_TOKEN },
    });
    const retried = await api("POST", `/api/v1/apps/${app.id}/provisioning/tasks/${failed.id}/retry`);
    expect(retried.body.status).toBe("PENDING");
    await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED" && u.syncState === "SYNCHRONIZED");
    expect((await scim.state()).users).toHaveLength(1);
    expect((await api("POST", `/api/v1/apps/${app.id}/provisioning/tasks/tsknotthere/retry`)).status).toBe(404);
  });

  it("keeps assignment changes flowing while the downstream is slow", async () => {
    const { app, scim } = await provisionedApp();
    await scim.fault({ kind: "delay", delayMs: 700, times: 20 });
    const users = [await createUser(), await createUser()];
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: users[0].id });
    await new Promise((resolve) => setTimeout(resolve, 100)); // the first sync is now waiting on the downstream
    const started = Date.now();
    const second = await api("POST", `/api/v1/apps/${app.id}/users`, { id: users[1].id });
    expect(second.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(500);
    for (const user of users) await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED");
  }, 20_000);

  it("provisions a burst of assignments under random faults with zero duplicates", async () => {
    const { app, scim } = await provisionedApp();
    await scim.fault(
      { method: "POST", path: "^/Users$", kind: "500", times: 3 },
      { method: "POST", path: "^/Users$", kind: "commit-then-hang", delayMs: 1_500, times: 2 },
      { method: "GET", kind: "429", retryAfter: "0", times: 3 },
    );
    const group = await createGroup();
    const users = [];
    for (let i = 0; i < 25; i++) {
      const user = await createUser();
      await api("PUT", `/api/v1/groups/${group.id}/users/${user.id}`);
      users.push(user);
    }
    await api("PUT", `/api/v1/apps/${app.id}/groups/${group.id}`, undefined, { "Content-Length": "0" });
    for (const user of users) await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED", `provisioned ${user.id}`);
    const state = await scim.state();
    expect(state.users).toHaveLength(25);
    expect(new Set(state.users.map((u: { userName: string }) => u.userName)).size).toBe(25);
    expect(await tasksOf(app.id)).toEqual([]);
  }, 30_000);
});

describe("pacing", () => {
  it("spaces requests to the configured rate", async () => {
    const { app, scim } = await provisionedApp();
    await api("POST", `/api/v1/apps/${app.id}/connections/default`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "TOKEN", token: SCIM_TOKEN },
      pacing: { requestsPerSecond: 10 },
    });
    const users = [];
    for (let i = 0; i < 5; i++) users.push(await createUser());
    const started = Date.now();
    for (const user of users) await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    for (const user of users) await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED");
    const elapsed = Date.now() - started;
    // 5 users x (search + create) = 10 requests at 10/s: at least ~0.9 s.
    const requests = (await scim.state()).requests.filter((r) => r.path.startsWith("/Users"));
    expect(requests.length).toBe(10);
    expect(elapsed).toBeGreaterThanOrEqual(850);
  }, 20_000);
});
