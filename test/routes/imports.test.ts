import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { api, createUser, links, pathOf } from "../helpers/api";
import { downstreamUser, IMPORT_RULES, importingApp, runImport } from "../helpers/imports";
import { eventually, SCIM_TOKEN, type ScimTenant } from "../helpers/scim";

const RULES = IMPORT_RULES;
const importingAppWith = (rules: Record<string, unknown> = RULES) => importingApp({ importRules: { userCreateAndMatch: rules } });

const items = async (appId: string, sessionId: string, result?: string) =>
  (await api("GET", `/api/v1/apps/${appId}/imports/${sessionId}/items${result ? `?result=${result}` : ""}`)).body;

afterEach(async () => {
  // A test that trips a safeguard must not leave the org's imports blocked.
  const roadblock = await api("GET", "/api/v1/import-roadblock");
  if (roadblock.status === 200) await api("POST", "/api/v1/import-roadblock/cancel");
});

describe("import settings", () => {
  it("serves INBOUND_PROVISIONING with Okta's shape, partial updates and the userNameFormat alias", async () => {
    const { app } = await importingAppWith();
    const res = await api("PUT", `/api/v1/apps/${app.id}/features/INBOUND_PROVISIONING`, {
      importSettings: {
        username: { userNameFormat: "CUSTOM", userNameExpression: 'String.substringBefore(user.userName, "@") + "@corp.example"' },
      },
    });
    expect(res.body).toMatchObject({
      name: "INBOUND_PROVISIONING",
      capabilities: {
        importSettings: { username: { usernameFormat: "CUSTOM" }, schedule: { status: "DISABLED" } },
        importRules: { userCreateAndMatch: { exactMatchCriteria: "EMAIL", allowPartialMatch: true } },
      },
    });
    expect(res.body.capabilities.importSettings.username.userNameFormat).toBeUndefined();
    const list = await api("GET", `/api/v1/apps/${app.id}/features`);
    expect(list.body.map((f: { name: string }) => f.name)).toEqual(["USER_PROVISIONING", "INBOUND_PROVISIONING"]);
  });

  it("serves org safeguards with Okta's defaults and takes partial updates", async () => {
    const defaults = await api("GET", "/api/v1/import-safeguards");
    expect(defaults.body).toEqual({ app: { enabled: true, percent: 20 }, org: { enabled: true, percent: 20 } });
    const changed = await api("PUT", "/api/v1/import-safeguards", { app: { percent: 50 } });
    expect(changed.body).toEqual({ app: { enabled: true, percent: 50 }, org: { enabled: true, percent: 20 } });
    await api("PUT", "/api/v1/import-safeguards", { app: { percent: 20 } });
    expect((await api("PUT", "/api/v1/import-safeguards", { app: { percent: 0 } })).status).toBe(400);
  });
});

describe("running imports", () => {
  it("plans exact (email), partial (names), new, ignored and auto-confirms per the rules", async () => {
    const { app, scim } = await importingAppWith();
    const stamp = crypto.randomUUID().slice(0, 6);
    const exactUser = await createUser({ profile: { email: `exact.${stamp}@example.com`, login: `exact.${stamp}@example.com` } });
    const partialUser = await createUser({ profile: { firstName: "Parti", lastName: `Al${stamp}` } });
    await downstreamUser(scim, { userName: `e${stamp}`, email: `exact.${stamp}@example.com`, givenName: "E", familyName: "X" });
    await downstreamUser(scim, {
      userName: `p${stamp}`,
      email: `other.${stamp}@example.com`,
      givenName: "Parti",
      familyName: `Al${stamp}`,
    });
    await downstreamUser(scim, {
      userName: `new.${stamp}@example.com`,
      email: `new.${stamp}@example.com`,
      givenName: "Nu",
      familyName: "User",
    });
    await downstreamUser(scim, {
      userName: `gone.${stamp}@example.com`,
      email: `gone.${stamp}@example.com`,
      givenName: "In",
      familyName: "Active",
      active: false,
    });
    await downstreamUser(scim, {
      userName: `case.${stamp}@example.com`,
      email: `EXACT.${stamp}@example.com`,
      givenName: "Ca",
      familyName: "Se",
    });

    const session = await runImport(app.id);
    expect(session.status).toBe("AWAITING_CONFIRMATION"); // the partial match waits for an admin
    expect(session.counters).toMatchObject({ fetched: 5, exact: 1, partial: 1, new: 2, ignored: 1, pending: 1, toUnassign: 0 });

    const exact = (await items(app.id, session.id, "EXACT"))[0];
    expect(exact).toMatchObject({ matchedUserId: exactUser.id, decision: "APPLIED" });
    const appUser = await api("GET", `/api/v1/apps/${app.id}/users/${exactUser.id}`);
    expect(appUser.body).toMatchObject({ externalId: expect.any(String), status: "ACTIVE", syncState: "SYNCHRONIZED" });

    // Matching is case-sensitive: EXACT.x@ is not exact.x@, so that user is new.
    const created = (await items(app.id, session.id, "NEW")).find((i: { userName: string }) => i.userName.startsWith("new."));
    expect(created.decision).toBe("APPLIED");
    const newUser = await api("GET", `/api/v1/users/${created.matchedUserId}`);
    expect(newUser.body).toMatchObject({ status: "STAGED", profile: { login: `new.${stamp}@example.com`, firstName: "Nu" } });

    const partial = (await items(app.id, session.id, "PARTIAL"))[0];
    expect(partial).toMatchObject({ matchedUserId: partialUser.id, decision: "PENDING" });
    const confirmed = await api("POST", `/api/v1/apps/${app.id}/imports/${session.id}/confirm`, { itemIds: [partial.id] });
    expect(confirmed.status).toBe(200);
    const done = await eventually(async () => {
      const s = (await api("GET", `/api/v1/apps/${app.id}/imports/${session.id}`)).body;
      return s.status === "COMPLETED" ? s : undefined;
    });
    expect(done.counters.pending).toBe(0);
    expect((await api("GET", `/api/v1/apps/${app.id}/users/${partialUser.id}`)).status).toBe(200);
  });

  it("flags a conflict when the match is ambiguous and never applies it", async () => {
    const { app, scim } = await importingAppWith();
    const stamp = crypto.randomUUID().slice(0, 6);
    const shared = `shared.${stamp}@example.com`;
    await createUser({ profile: { email: shared } });
    await createUser({ profile: { email: shared } });
    await downstreamUser(scim, { userName: `dup.${stamp}`, email: shared, givenName: "Du", familyName: "P" });
    const session = await runImport(app.id);
    expect(session).toMatchObject({ status: "AWAITING_CONFIRMATION", counters: { conflicts: 1, pending: 1, applied: 0 } });
    const [conflict] = await items(app.id, session.id, "CONFLICT");
    expect(conflict.detail).toContain("more than one Okta user");
    await api("POST", `/api/v1/apps/${app.id}/imports/${session.id}/confirm`, { all: true });
    const done = await eventually(async () => {
      const s = (await api("GET", `/api/v1/apps/${app.id}/imports/${session.id}`)).body;
      return s.status !== "RUNNING" ? s : undefined;
    });
    expect(done.counters).toMatchObject({ errors: 1, applied: 0 });
    expect((await api("GET", `/api/v1/apps/${app.id}/users`)).body).toEqual([]);
  });

  it("matches by username format and activates confirmed new users when asked", async () => {
    const { app, scim } = await importingAppWith({ ...RULES, exactMatchCriteria: "USERNAME", autoConfirmNewUsers: false });
    const user = await createUser();
    await downstreamUser(scim, { userName: user.profile.login, givenName: "A", familyName: "B" });
    await downstreamUser(scim, {
      userName: `fresh.${crypto.randomUUID().slice(0, 6)}@example.com`,
      givenName: "Fresh",
      familyName: "User",
    });
    const session = await runImport(app.id);
    expect(session.counters).toMatchObject({ exact: 1, new: 1, pending: 1 });
    await api("POST", `/api/v1/apps/${app.id}/imports/${session.id}/confirm`, { all: true, activate: true });
    const done = await eventually(async () => {
      const s = (await api("GET", `/api/v1/apps/${app.id}/imports/${session.id}`)).body;
      return s.status === "COMPLETED" ? s : undefined;
    });
    const created = (await items(app.id, done.id, "NEW"))[0];
    expect((await api("GET", `/api/v1/users/${created.matchedUserId}`)).body.status).toBe("ACTIVE");
  });

  it("changes nothing on a dry run, and nothing on an unchanged re-run", async () => {
    const { app, scim } = await importingAppWith();
    const stamp = crypto.randomUUID().slice(0, 6);
    for (let i = 0; i < 3; i++)
      await downstreamUser(scim, {
        userName: `d${i}.${stamp}@example.com`,
        email: `d${i}.${stamp}@example.com`,
        givenName: "D",
        familyName: `${i}-${stamp}`,
      });
    const dry = await runImport(app.id, { dryRun: true });
    expect(dry).toMatchObject({ status: "COMPLETED", dryRun: true, counters: { new: 3, applied: 0 } });
    expect((await api("GET", `/api/v1/apps/${app.id}/users`)).body).toEqual([]);

    const first = await runImport(app.id);
    expect(first).toMatchObject({ status: "COMPLETED", counters: { new: 3, applied: 3 } });
    const snapshot = async () =>
      JSON.stringify(
        (
          await env.DB.prepare("SELECT user_id, last_updated, status, external_id FROM app_users WHERE app_id = ? ORDER BY user_id")
            .bind(app.id)
            .all()
        ).results,
      );
    const before = await snapshot();
    const usersBefore = await env.DB.prepare("SELECT count(*) AS n, max(last_updated) AS t FROM users").first();
    const requestsBefore = (await scim.state()).requests.length;
    const again = await runImport(app.id);
    expect(again).toMatchObject({ status: "COMPLETED", counters: { unchanged: 3, new: 0, applied: 0 } });
    expect(await snapshot()).toBe(before);
    expect(await env.DB.prepare("SELECT count(*) AS n, max(last_updated) AS t FROM users").first()).toEqual(usersBefore);
    const sent = (await scim.state()).requests.slice(requestsBefore);
    expect(sent.every((r) => r.method === "GET")).toBe(true);
  });

  it("lists an app's sessions newest first, one page at a time through Link next", async () => {
    const { app } = await importingAppWith();
    const started: string[] = [];
    for (let i = 0; i < 3; i++) started.push((await runImport(app.id, { dryRun: true })).id);
    const listed: string[] = [];
    for (let next: string | undefined = `/api/v1/apps/${app.id}/imports?limit=1`; next !== undefined;) {
      const page: { status: number; body: { id: string }[]; headers: Headers } = await api("GET", next);
      expect(page.status).toBe(200);
      expect(page.body.length).toBeLessThanOrEqual(1);
      listed.push(...page.body.map((session) => session.id));
      const nextUrl: string | undefined = links(page.headers).next;
      next = nextUrl ? pathOf(nextUrl) : undefined;
    }
    expect(listed).toEqual(started.reverse());
  });

  it("pages through the downstream with startIndex/count and fails the session on a failed page", async () => {
    const { app, scim } = await importingAppWith();
    const stamp = crypto.randomUUID().slice(0, 6);
    for (let i = 0; i < 130; i++)
      await downstreamUser(scim, {
        userName: `pg${i}.${stamp}@example.com`,
        email: `pg${i}.${stamp}@example.com`,
        givenName: "P",
        familyName: `${i}-${stamp}`,
      });
    const session = await runImport(app.id, { dryRun: true });
    expect(session.counters).toMatchObject({ fetched: 130, downstreamTotal: 130 });
    expect(session.progress).toMatchObject({ phase: "DONE", etaSeconds: 0 });
    const pages = (await scim.state()).requests
      .filter((r) => r.method === "GET" && r.path.startsWith("/Users?startIndex"))
      .map((r) => r.path);
    expect(pages).toEqual(["/Users?startIndex=1&count=100", "/Users?startIndex=101&count=100"]);

    await scim.fault({ method: "GET", path: "startIndex=101", kind: "500", times: 1 });
    const failed = await runImport(app.id);
    expect(failed.status).toBe("FAILED");
    expect(failed.error).toContain("startIndex 101");
    expect((await api("GET", `/api/v1/apps/${app.id}/users`)).body).toEqual([]);
  }, 60_000);
});

describe("import safeguards", () => {
  async function appWithLinkedUsers(count: number) {
    const { app, scim } = await importingAppWith();
    const stamp = crypto.randomUUID().slice(0, 6);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      ids.push(
        (
          await downstreamUser(scim, {
            userName: `s${i}.${stamp}@example.com`,
            email: `s${i}.${stamp}@example.com`,
            givenName: "S",
            familyName: `${i}-${stamp}`,
          })
        ).id,
      );
    }
    const first = await runImport(app.id);
    expect(first.counters.applied, JSON.stringify(first)).toBe(count);
    return { app, scim, ids };
  }

  async function removeDownstream(scim: ScimTenant, ids: string[]) {
    for (const id of ids)
      await fetch(`${scim.baseUrl}/Users/${id}`, { method: "DELETE", headers: { Authorization: `Bearer ${SCIM_TOKEN}` } });
  }

  it("pauses an app-level breach before applying anything; resume applies it", async () => {
    const { app, scim, ids } = await appWithLinkedUsers(105);
    await removeDownstream(scim, ids.slice(0, 30)); // 30 of 105 > 20%
    const paused = await runImport(app.id);
    expect(paused).toMatchObject({
      status: "PAUSED_SAFEGUARD",
      counters: { toUnassign: 30, applied: 0 },
      safeguard: { level: "APP", removals: 30, limit: 21 },
    });
    expect((await api("GET", `/api/v1/apps/${app.id}/users?limit=500`)).body).toHaveLength(105);
    const roadblock = await api("GET", "/api/v1/import-roadblock");
    expect(roadblock.body).toMatchObject({ sessionId: paused.id, appId: app.id, level: "APP", importsPaused: true });

    // Every other import waits behind the roadblock.
    const { app: other } = await importingAppWith();
    const waiting = await api("POST", `/api/v1/apps/${other.id}/imports`, { dryRun: true });
    expect(waiting.body).toMatchObject({ status: "RUNNING", phase: "WAITING" });

    const resumed = await api("POST", "/api/v1/import-roadblock/resume");
    expect(resumed.status).toBe(200);
    await eventually(
      async () => (await api("GET", `/api/v1/apps/${app.id}/imports/${paused.id}`)).body.status === "COMPLETED",
      // Generous: under a loaded CI machine this import and the one waiting behind it take a while.
      60_000,
      "resumed import",
    );
    expect((await api("GET", `/api/v1/apps/${app.id}/users?limit=500`)).body).toHaveLength(75);
    expect((await api("GET", "/api/v1/import-roadblock")).status).toBe(404);
    await eventually(
      async () => (await api("GET", `/api/v1/apps/${other.id}/imports/${waiting.body.id}`)).body.status === "COMPLETED",
      60_000,
      "waiting import",
    );
  }, 120_000);

  it("pauses an org-level breach; cancel keeps every assignment and lifts the roadblock", async () => {
    await api("PUT", "/api/v1/import-safeguards", { app: { enabled: false } });
    try {
      const { app, scim, ids } = await appWithLinkedUsers(105);
      // With the app level off, only the org level (>= 100 assignments) can trip: make it small.
      await api("PUT", "/api/v1/import-safeguards", { org: { percent: 1 } });
      const orgTotal = Number((await env.DB.prepare("SELECT count(*) AS n FROM app_users").first<{ n: number }>())!.n);
      const removals = Math.floor(orgTotal / 100) + 1;
      await removeDownstream(scim, ids.slice(0, removals));
      const paused = await runImport(app.id);
      expect(paused).toMatchObject({ status: "PAUSED_SAFEGUARD", safeguard: { level: "ORG", removals } });
      const cancelled = await api("POST", "/api/v1/import-roadblock/cancel");
      expect(cancelled.body.status).toBe("CANCELLED");
      expect((await api("GET", `/api/v1/apps/${app.id}/users?limit=500`)).body).toHaveLength(105);
      expect((await api("GET", "/api/v1/import-roadblock")).status).toBe(404);
    } finally {
      await api("PUT", "/api/v1/import-safeguards", { app: { enabled: true }, org: { percent: 20 } });
    }
  }, 120_000);
});

describe("scheduled imports", () => {
  it("starts a due import from the Cron Trigger, in the schedule's timezone, and not twice", async () => {
    const { app, scim } = await importingAppWith();
    await downstreamUser(scim, {
      userName: `cron.${crypto.randomUUID().slice(0, 6)}@example.com`,
      givenName: "C",
      familyName: "Ron",
      email: "cron@example.com",
    });
    await api("PUT", `/api/v1/apps/${app.id}/features/INBOUND_PROVISIONING`, {
      importSettings: { schedule: { status: "ENABLED", fullImport: { expression: "0 * * * *", timezone: "America/New_York" } } },
    });
    const tick = async (at: Date) => {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), env, ctx);
      await waitOnExecutionContext(ctx);
    };
    const list = async () => (await api("GET", `/api/v1/apps/${app.id}/imports`)).body;
    await tick(new Date()); // the schedule was just switched on: nothing is due yet
    expect(await list()).toEqual([]);
    const nextHour = new Date(Math.ceil((Date.now() + 1) / 3_600_000) * 3_600_000 + 1_000);
    await tick(nextHour);
    const sessions = await list();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ trigger: "SCHEDULE", type: "FULL" });
    await tick(new Date(nextHour.getTime() + 60_000)); // same hour: not due again
    expect(await list()).toHaveLength(1);
  });
});
