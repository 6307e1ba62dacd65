import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { QUERY_BUDGET } from "../../src/coordinator/invocation-budget";
import { api, createApp, createGroup } from "../helpers/api";
import { importingApp, runImport } from "../helpers/imports";
import { seedMemberships, seedUsers, settle } from "../helpers/seed";
import { SCIM_TOKEN, scimTenant } from "../helpers/scim";

// Issue 14: every invocation of an app's coordinator (each RPC call, each alarm) stays within
// QUERY_BUDGET D1 queries (Cloudflare allows 1,000 per invocation deployed). The coordinator's
// D1 binding is wrapped (src/coordinator/invocation-budget.ts: every statement counts, alone or
// in a batch) and it reports the most any one invocation made; these runs of 20,000 rows fail
// above the budget.

const ROWS = 20_000;

async function statsOf(appId: string) {
  return env.APP_COORDINATOR.getByName(appId).invocationStats();
}

async function count(sql: string, ...binds: unknown[]): Promise<number> {
  return (await env.DB.prepare(sql)
    .bind(...binds)
    .first<{ n: number }>())!.n;
}

describe("bounded coordinator invocations", () => {
  it(`fans a ${ROWS.toLocaleString("en")}-member group out within the D1 query budget of every invocation`, async () => {
    const ids = await seedUsers(ROWS, "BgtF");
    const group = await createGroup();
    await seedMemberships(group.id, ids);
    const app = await createApp();
    const started = Date.now();
    expect((await api("PUT", `/api/v1/apps/${app.id}/groups/${group.id}`, { priority: 0, profile: {} })).status).toBe(200);
    await settle(app.id, 120_000);
    const seconds = (Date.now() - started) / 1000;
    expect(await count("SELECT count(*) AS n FROM app_users WHERE app_id = ? AND scope = 'GROUP'", app.id)).toBe(ROWS);
    const events = await count(
      "SELECT count(*) AS n FROM log_events WHERE event_type = 'application.user_membership.add' AND target LIKE ?",
      `%${app.id}%`,
    );
    expect(events).toBe(ROWS);
    const stats = await statsOf(app.id);
    expect(stats.maxQueries).toBeGreaterThan(0);
    expect(stats.maxQueries).toBeLessThanOrEqual(QUERY_BUDGET);
    console.log(
      `budget: ${ROWS}-member fan-out listable after ${seconds.toFixed(1)} s; ${stats.invocations} coordinator invocations, ` +
        `at most ${stats.maxQueries} D1 queries in one (${stats.maxQueriesKind}), the longest ${stats.maxDurationMs} ms (${stats.maxDurationKind})`,
    );
  }, 180_000);

  it(`imports ${ROWS.toLocaleString("en")} users within the budget, and an unchanged re-run stores nothing`, async () => {
    const { app, scim } = await importingApp();
    const prefix = `bg${crypto.randomUUID().slice(0, 6)}`;
    await scim.seedMany(ROWS, prefix);
    const started = Date.now();
    const first = await runImport(app.id, {}, 170_000);
    const seconds = (Date.now() - started) / 1000;
    expect(first).toMatchObject({ status: "COMPLETED", counters: { fetched: ROWS, new: ROWS, applied: ROWS, errors: 0 } });
    expect(await count("SELECT count(*) AS n FROM app_users WHERE app_id = ? AND external_id IS NOT NULL", app.id)).toBe(ROWS);
    const afterFirst = await statsOf(app.id);
    expect(afterFirst.maxQueries).toBeLessThanOrEqual(QUERY_BUDGET);

    const rerunStarted = Date.now();
    const again = await runImport(app.id, {}, 120_000);
    const rerunSeconds = (Date.now() - rerunStarted) / 1000;
    expect(again).toMatchObject({
      status: "COMPLETED",
      counters: { fetched: ROWS, unchanged: ROWS, skippedUnchanged: ROWS, applied: 0, new: 0 },
    });
    // Stored for the re-run: its session row and its start and end in the System Log, nothing else.
    expect(await count("SELECT count(*) AS n FROM import_items WHERE session_id = ?", again.id)).toBe(0);
    const logged = await env.DB.prepare("SELECT event_type FROM log_events WHERE debug_context LIKE ? ORDER BY event_type")
      .bind(`%${again.id}%`)
      .all<{ event_type: string }>();
    expect(logged.results.map((row) => row.event_type)).toEqual(["system.import.complete", "system.import.start"]);
    const stats = await statsOf(app.id);
    expect(stats.maxQueries).toBeLessThanOrEqual(QUERY_BUDGET);
    console.log(
      `budget: ${ROWS}-user import in ${seconds.toFixed(1)} s, unchanged re-run in ${rerunSeconds.toFixed(1)} s storing 0 items; ${stats.invocations} coordinator invocations, ` +
        `at most ${stats.maxQueries} D1 queries in one (${stats.maxQueriesKind}), the longest ${stats.maxDurationMs} ms (${stats.maxDurationKind})`,
    );
  }, 300_000);
});

describe("bounded coordinator invocations: Provision Users", () => {
  it("marks 3,000 assignments for provisioning a chunk per invocation, within the budget", async () => {
    const app = await createApp();
    const ids = await seedUsers(3_000, "BgtP");
    const now = Date.now();
    await env.DB.prepare(
      `INSERT INTO app_users (app_id, user_id, scope, status, sync_state, user_name, profile, overrides, created, last_updated, status_changed)
       SELECT ?1, value, 'USER', 'ACTIVE', 'DISABLED', value, '{}', '{}', ?2, ?2, ?2 FROM json_each(?3)`,
    )
      .bind(app.id, now, JSON.stringify(ids))
      .run();
    // A downstream that refuses everything at once: the outbound queue stays quiet (its breaker opens).
    const scim = scimTenant();
    await scim.fault({ kind: "500", times: 1_000_000 });
    expect(
      (
        await api("POST", `/api/v1/apps/${app.id}/connections/default?activate=true`, {
          baseUrl: scim.baseUrl,
          profile: { authScheme: "TOKEN", token: SCIM_TOKEN },
        })
      ).status,
    ).toBe(200);
    expect(
      (await api("PUT", `/api/v1/apps/${app.id}/features/USER_PROVISIONING`, { create: { lifecycleCreate: { status: "ENABLED" } } }))
        .status,
    ).toBe(200);
    expect((await api("POST", `/api/v1/apps/${app.id}/provisioning/provision-users`)).status).toBe(202);
    await settle(app.id);
    expect(await count("SELECT count(*) AS n FROM app_users WHERE app_id = ? AND sync_state = 'SYNCING'", app.id)).toBeGreaterThan(2_900);
    const stats = await statsOf(app.id);
    expect(stats.maxQueries).toBeLessThanOrEqual(QUERY_BUDGET);
    expect((await api("POST", `/api/v1/apps/${app.id}/lifecycle/deactivate`)).status).toBe(200);
    expect((await api("DELETE", `/api/v1/apps/${app.id}`)).status).toBe(204);
  }, 120_000);
});
