import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createApp, createUser, links, pathOf } from "../helpers/api";
import { downstreamUser, IMPORT_RULES, importingApp, runImport, scimCall } from "../helpers/imports";
import { eventually, SCIM_TOKEN, scimTenant, type ScimTenant } from "../helpers/scim";

const RULES = { ...IMPORT_RULES, allowPartialMatch: false };
const importingAppWith = (extra: Record<string, unknown> = {}, appOverrides: Record<string, unknown> = {}) =>
  importingApp({ importRules: { userCreateAndMatch: RULES }, ...extra }, appOverrides);

const setActive = (scim: ScimTenant, id: string, active: boolean) =>
  scimCall(scim, "PATCH", `/Users/${id}`, {
    schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    Operations: [{ op: "replace", path: "active", value: active }],
  });

const sourcing = (onDeactivated: string) => ({
  profileSourcing: { status: "ENABLED", onDeactivated, reactivateSuspended: true, reactivateDeactivated: true },
});

describe("profile sourcing", () => {
  it("deactivates, reactivates on an exact match, and updates the profile from the app", async () => {
    const { app, scim } = await importingAppWith(sourcing("DEACTIVATE"));
    const stamp = crypto.randomUUID().slice(0, 6);
    const ada = await downstreamUser(scim, {
      userName: `ada.${stamp}@example.com`,
      givenName: "Ada",
      familyName: "Lovelace",
      email: `ada.${stamp}@example.com`,
    });
    const first = await runImport(app.id);
    expect(first.counters.new).toBe(1);
    const userId = (await api("GET", `/api/v1/apps/${app.id}/users`)).body[0].id;

    await setActive(scim, ada.id, false);
    const second = await runImport(app.id);
    expect(second.counters).toMatchObject({ deactivated: 1, applied: 1 });
    expect((await api("GET", `/api/v1/users/${userId}`)).body.status).toBe("DEPROVISIONED");

    await setActive(scim, ada.id, true);
    const third = await runImport(app.id);
    expect(third.counters.reactivated).toBe(1);
    expect((await api("GET", `/api/v1/users/${userId}`)).body.status).toBe("ACTIVE");
    expect((await api("GET", `/api/v1/apps/${app.id}/users/${userId}`)).body.externalId).toBe(ada.id);

    await scimCall(scim, "PATCH", `/Users/${ada.id}`, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "replace", path: "name.familyName", value: "Byron" }],
    });
    const fourth = await runImport(app.id);
    expect(fourth.counters.updated).toBe(1);
    expect((await api("GET", `/api/v1/users/${userId}`)).body.profile.lastName).toBe("Byron");
  }, 60_000);

  it("suspends on deactivation when configured, and leaves a changed profile pending activation", async () => {
    const { app, scim } = await importingAppWith(sourcing("SUSPEND"));
    const stamp = crypto.randomUUID().slice(0, 6);
    const bo = await downstreamUser(scim, {
      userName: `bo.${stamp}@example.com`,
      givenName: "Bo",
      familyName: "Diddley",
      email: `bo.${stamp}@example.com`,
    });
    await runImport(app.id);
    const userId = (await api("GET", `/api/v1/apps/${app.id}/users`)).body[0].id;
    // Imported users start STAGED: give this one a password and activate it.
    await api("POST", `/api/v1/users/${userId}`, { credentials: { password: { value: "Password-123" } } });
    await api("POST", `/api/v1/users/${userId}/lifecycle/activate`);
    expect((await api("GET", `/api/v1/users/${userId}`)).body.status).toBe("ACTIVE");

    await setActive(scim, bo.id, false);
    await runImport(app.id);
    expect((await api("GET", `/api/v1/users/${userId}`)).body.status).toBe("SUSPENDED");

    // Reactivated downstream with a different name: not an exact match, so pending (PROVISIONED).
    await scimCall(scim, "PUT", `/Users/${bo.id}`, {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: `bo.${stamp}@example.com`,
      active: true,
      name: { givenName: "Bo", familyName: "Renamed" },
      emails: [{ value: `bo.${stamp}@example.com`, primary: true }],
    });
    const session = await runImport(app.id);
    expect(session.counters.reactivated).toBe(1);
    expect((await api("GET", `/api/v1/users/${userId}`)).body.status).toBe("PROVISIONED");
  }, 60_000);
});

describe("import inline hook", () => {
  async function hookedApp(scim: ScimTenant) {
    const hook = await api("POST", "/api/v1/inlineHooks", {
      name: "Import transform",
      type: "com.okta.import.transform",
      version: "1.0.0",
      channel: {
        type: "HTTP",
        version: "1.0.0",
        config: { uri: scim.hookUrl, method: "POST", authScheme: { type: "HEADER", key: "Authorization", value: "hook-secret" } },
      },
    });
    expect(hook.status, JSON.stringify(hook.body)).toBe(200);
    expect(JSON.stringify(hook.body)).not.toContain("hook-secret");
    const app = await createApp({ settings: { app: { url: "https://example.com/" }, inlineHookId: hook.body.id } });
    await api("POST", `/api/v1/apps/${app.id}/connections/default?activate=true`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "TOKEN", token: SCIM_TOKEN },
    });
    await api("PUT", `/api/v1/apps/${app.id}/features/INBOUND_PROVISIONING`, { importRules: { userCreateAndMatch: RULES } });
    return app;
  }

  it("sends Okta's request and applies profile, action and link commands", async () => {
    const scim = scimTenant();
    const stamp = crypto.randomUUID().slice(0, 6);
    const target = await createUser();
    await downstreamUser(scim, {
      userName: `hooked.${stamp}@example.com`,
      givenName: "Hook",
      familyName: "Ed",
      email: `hooked.${stamp}@example.com`,
    });
    await downstreamUser(scim, {
      userName: `linkme.${stamp}@example.com`,
      givenName: "Link",
      familyName: "Me",
      email: `linkme.${stamp}@example.com`,
    });
    await scim.hook({
      mode: "commands",
      forUserName: `hooked.${stamp}@example.com`,
      commands: [
        { type: "com.okta.appUser.profile.update", value: { department: "R&D" } },
        { type: "com.okta.user.profile.update", value: { firstName: "Hooked" } },
        { type: "com.okta.action.update", value: { result: "CREATE_USER" } },
      ],
    });
    const app = await hookedApp(scim);
    const first = await runImport(app.id);
    expect(first.counters.new).toBe(2);
    const state = await scim.state();
    expect(state.hookRequests).toHaveLength(2);
    expect(state.hookRequests[0].headers.authorization).toBe("hook-secret");
    expect(state.hookRequests[0].body).toMatchObject({
      eventType: "com.okta.import.transform",
      data: { action: { result: "CREATE_USER" }, context: { application: { id: app.id } } },
    });
    const items = (await api("GET", `/api/v1/apps/${app.id}/imports/${first.id}/items?result=NEW`)).body;
    const hooked = items.find((i: { userName: string }) => i.userName.startsWith("hooked."));
    expect(hooked.profile.department).toBe("R&D");
    expect((await api("GET", `/api/v1/users/${hooked.matchedUserId}`)).body.profile.firstName).toBe("Hooked");

    // A second app whose hook links the imported user to a chosen Okta user.
    const scim2 = scimTenant();
    await downstreamUser(scim2, {
      userName: `other.${stamp}@example.com`,
      givenName: "Oth",
      familyName: "Er",
      email: `other.${stamp}@example.com`,
    });
    await scim2.hook({
      mode: "commands",
      commands: [
        { type: "com.okta.action.update", value: { result: "LINK_USER" } },
        { type: "com.okta.user.update", value: { id: target.id } },
      ],
    });
    const app2 = await hookedApp(scim2);
    const linked = await runImport(app2.id);
    expect(linked.counters).toMatchObject({ exact: 1, new: 0 });
    expect((await api("GET", `/api/v1/apps/${app2.id}/users/${target.id}`)).status).toBe(200);
  }, 30_000);

  it("leaves items as planned when the hook fails or times out, and the import completes", async () => {
    for (const mode of ["error", "slow"] as const) {
      const scim = scimTenant();
      await downstreamUser(scim, {
        userName: `plain.${mode}.${crypto.randomUUID().slice(0, 6)}@example.com`,
        givenName: "Pl",
        familyName: "Ain",
        email: `plain.${mode}@example.com`,
      });
      await scim.hook({ mode });
      const app = await hookedApp(scim);
      const session = await runImport(app.id);
      expect(session).toMatchObject({ status: "COMPLETED", counters: { new: 1, applied: 1 } });
      const [item] = (await api("GET", `/api/v1/apps/${app.id}/imports/${session.id}/items`)).body;
      expect(item.detail).toContain("inline hook failed");
    }
  }, 30_000);
});

describe("system log and durability", () => {
  it("records import phases and membership changes in the System Log", async () => {
    const { app, scim } = await importingAppWith();
    await downstreamUser(scim, {
      userName: `log.${crypto.randomUUID().slice(0, 6)}@example.com`,
      givenName: "Lo",
      familyName: "G",
      email: "log@example.com",
    });
    const since = new Date(Date.now() - 1000).toISOString();
    const session = await runImport(app.id);
    const logs = async (type: string) =>
      (await api("GET", `/api/v1/logs?since=${since}&filter=${encodeURIComponent(`eventType eq "${type}"`)}`)).body;
    const start = (await logs("system.import.start")).find((e: any) => e.debugContext.debugData.sessionId === session.id);
    expect(start).toMatchObject({
      eventType: "system.import.start",
      severity: "INFO",
      outcome: { result: "SUCCESS" },
      target: [{ id: app.id, type: "AppInstance" }, { type: "ImportSession" }],
    });
    expect(start.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect((await logs("system.import.complete")).some((e: any) => e.debugContext.debugData.sessionId === session.id)).toBe(true);
    expect((await logs("application.user_membership.add")).some((e: any) => e.target[0].id === app.id)).toBe(true);
    expect((await api("GET", "/api/v1/logs?filter=" + encodeURIComponent('published eq "x"'))).status).toBe(400);
  });

  it("resumes after the coordinator is evicted mid-import and reaches the same final state", async () => {
    const downstream = async (scim: ScimTenant, stamp: string) => {
      for (let i = 0; i < 250; i++)
        await downstreamUser(scim, {
          userName: `ev${i}.${stamp}@example.com`,
          givenName: "Ev",
          familyName: `${i}-${stamp}`,
          email: `ev${i}.${stamp}@example.com`,
        });
    };
    // The same import on a twin app (its own downstream, same users but for a stamp), uninterrupted.
    const twin = await importingAppWith();
    const twinStamp = crypto.randomUUID().slice(0, 6);
    await downstream(twin.scim, twinStamp);
    const uninterrupted = await runImport(twin.app.id);

    const { app, scim } = await importingAppWith();
    const stamp = crypto.randomUUID().slice(0, 6);
    await downstream(scim, stamp);
    await scim.fault({ method: "GET", path: "startIndex=101", kind: "delay", delayMs: 300, times: 1 });
    const started = await api("POST", `/api/v1/apps/${app.id}/imports`, {});
    await eventually(
      async () => (await api("GET", `/api/v1/apps/${app.id}/imports/${started.body.id}`)).body.counters.fetched >= 100,
      15_000,
      "first page",
    );
    await evictDurableObject(env.APP_COORDINATOR.getByName(app.id));
    const wakeUp = await createUser();
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: wakeUp.id }); // wakes the object again
    const session = await eventually(
      async () => {
        const s = (await api("GET", `/api/v1/apps/${app.id}/imports/${started.body.id}`)).body;
        return s.status === "COMPLETED" ? s : undefined;
      },
      40_000,
      "import after eviction",
    );
    expect(session.counters).toMatchObject({ fetched: 250, new: 250, applied: 250 });
    const linked = await env.DB.prepare(
      "SELECT count(DISTINCT external_id) AS n FROM app_users WHERE app_id = ? AND external_id IS NOT NULL",
    )
      .bind(app.id)
      .first<{ n: number }>();
    expect(linked!.n).toBe(250);

    // Identical to the uninterrupted twin: counters, the plan item by item, the Okta users the
    // import created and their app users (the user assigned to wake the object aside).
    const outcome = async (appId: string, sessionId: string, stampOf: string) => {
      const items: unknown[] = [];
      for (let path: string | undefined = `/api/v1/apps/${appId}/imports/${sessionId}/items?limit=1000`; path;) {
        const page: { body: any[]; headers: Headers } = await api("GET", path);
        items.push(...page.body.map(({ seq, userName, result, decision, active }) => ({ seq, userName, result, decision, active })));
        const next = links(page.headers).next;
        path = next ? pathOf(next) : undefined;
      }
      const rows = await env.DB.prepare(
        `SELECT u.login, u.status AS user_status, u.profile AS user_profile, au.scope, au.status, au.sync_state, au.user_name, au.profile, au.overrides
         FROM app_users au JOIN users u ON u.id = au.user_id WHERE au.app_id = ? AND au.external_id IS NOT NULL ORDER BY u.login`,
      )
        .bind(appId)
        .all();
      return JSON.parse(JSON.stringify({ items, rows: rows.results }).replaceAll(stampOf, "STAMP"));
    };
    const { counters, ...rest } = session;
    expect(counters).toEqual(uninterrupted.counters);
    expect(rest.status).toBe(uninterrupted.status);
    const [evicted, twinOutcome] = [await outcome(app.id, session.id, stamp), await outcome(twin.app.id, uninterrupted.id, twinStamp)];
    expect(evicted.rows).toHaveLength(250);
    expect(evicted).toEqual(twinOutcome);
    console.log(
      "import durability: 250-user import, coordinator evicted after the first page; plan, counters, users and app users identical to an uninterrupted import",
    );
  }, 120_000);
});
