import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createApp, createGroup } from "../helpers/api";
import { seedMemberships, seedUsers, settle } from "../helpers/seed";

// Issue 14: a group's members who get the default profile are written by INSERT ... SELECT
// (src/db/queries/fan-out-sql.ts); everyone else goes through the rules in the Worker. The SQL
// must decide exactly what the rules decide. Two apps get the same schema, mapping, username
// template and groups; the twin's mapping is written with `true ? x : null` around each
// expression, which evaluates identically but is outside what SQL evaluates, so the twin's
// fan-out runs entirely through the rules. Their assignments and events must be the same.

const MEMBERS = 1_500;

async function configure(app: { id: string }, wrap: (expression: string) => string) {
  const schema = await api("POST", `/api/v1/meta/schemas/apps/${app.id}/default`, {
    definitions: {
      custom: {
        properties: {
          nickName: { title: "Nickname", type: "string", scope: "SELF" },
          fullName: { title: "Full name", type: "string" },
          tier: { title: "Tier", type: "string" },
          role: { title: "Role", type: "string", scope: "NONE" },
        },
      },
    },
  });
  expect(schema.status).toBe(200);
  const [mapping] = (await api("GET", `/api/v1/mappings?targetId=${app.id}`)).body;
  const mapped = await api("POST", `/api/v1/mappings/${mapping.id}`, {
    properties: {
      nickName: { expression: wrap("user.firstName"), pushStatus: "PUSH" },
      fullName: { expression: wrap('user.firstName + " " + user.lastName'), pushStatus: "PUSH" },
      tier: { expression: wrap('"gold"'), pushStatus: "PUSH" },
    },
  });
  expect(mapped.status, JSON.stringify(mapped.body)).toBe(200);
}

async function assignments(appId: string) {
  const rows = await env.DB.prepare(
    `SELECT user_id, scope, status, sync_state, user_name, profile, overrides FROM app_users WHERE app_id = ? ORDER BY user_id`,
  )
    .bind(appId)
    .all<{
      user_id: string;
      scope: string;
      status: string;
      sync_state: string;
      user_name: string | null;
      profile: string;
      overrides: string;
    }>();
  // Key order in stored JSON is not part of the result.
  const sorted = (json: string) =>
    JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(json)).sort(([a], [b]) => a.localeCompare(b))));
  return rows.results.map((row) => ({ ...row, profile: sorted(row.profile), overrides: sorted(row.overrides) }));
}

async function membershipEvents(appId: string) {
  const rows = await env.DB.prepare(
    `SELECT uuid, target, debug_context FROM log_events WHERE event_type = 'application.user_membership.add' AND target LIKE ? ORDER BY uuid`,
  )
    .bind(`%"${appId}"%`)
    .all<{ uuid: string; target: string; debug_context: string }>();
  return rows.results.map((row) => {
    const [, user, appUser] = JSON.parse(row.target);
    const { debugData } = JSON.parse(row.debug_context);
    return { uuid: row.uuid, user, appUser, scope: debugData.scope, source: debugData.source, reason: debugData.reason };
  });
}

describe("fan-out fast path", () => {
  it("writes exactly the assignments and events the rules would, for every kind of member", async () => {
    const tag = "FstP";
    const ids = await seedUsers(MEMBERS, tag);
    // Members the fast path must leave to the rules, or that get no assignment at all.
    const at = (n: number) => ids[n];
    await env.DB.batch([
      // A first name that is a number, and one that is an object: not plain text in SQL.
      env.DB.prepare(`UPDATE users SET profile = json_set(profile, '$.firstName', 42) WHERE id = ?`).bind(at(10)),
      env.DB.prepare(`UPDATE users SET profile = json_set(profile, '$.firstName', json('{"a":1}')) WHERE id = ?`).bind(at(11)),
      // No first name at all, an empty one, and a null one.
      env.DB.prepare(`UPDATE users SET profile = json_remove(profile, '$.firstName') WHERE id = ?`).bind(at(12)),
      env.DB.prepare(`UPDATE users SET profile = json_set(profile, '$.firstName', '') WHERE id = ?`).bind(at(13)),
      env.DB.prepare(`UPDATE users SET profile = json_set(profile, '$.firstName', json('null')) WHERE id = ?`).bind(at(14)),
      // Quotes and non-ASCII text pass through untouched.
      env.DB.prepare(`UPDATE users SET profile = json_set(profile, '$.lastName', 'O''Brien-Ünal "Jr"') WHERE id = ?`).bind(at(15)),
      // No email: the username template renders nothing.
      env.DB.prepare(`UPDATE users SET profile = json_remove(profile, '$.email') WHERE id = ?`).bind(at(16)),
      // Deactivated: no assignment.
      env.DB.prepare(`UPDATE users SET status = 'DEPROVISIONED' WHERE id = ?`).bind(at(17)),
    ]);
    const group = await createGroup();
    const other = await createGroup();
    await seedMemberships(group.id, ids);
    // Members of another group both apps assign first: their top group is that one.
    await seedMemberships(other.id, ids.slice(100, 160));

    const template = { template: "${source.email}", type: "CUSTOM" };
    const [fast, rules] = [
      await createApp({ credentials: { userNameTemplate: template } }),
      await createApp({ credentials: { userNameTemplate: template } }),
    ];
    await configure(fast, (expression) => expression);
    await configure(rules, (expression) => `true ? ${expression} : null`);
    for (const app of [fast, rules]) {
      // A direct assignment before the group: scope USER, an override kept.
      expect((await api("POST", `/api/v1/apps/${app.id}/users`, { id: at(20), profile: { role: "owner" } })).status).toBe(200);
      expect((await api("PUT", `/api/v1/apps/${app.id}/groups/${other.id}`, { priority: 0, profile: { role: "viewer" } })).status).toBe(
        200,
      );
      await settle(app.id);
      const put = await api("PUT", `/api/v1/apps/${app.id}/groups/${group.id}`, { priority: 1, profile: { role: "admin" } });
      expect(put.status).toBe(200);
      await settle(app.id);
    }

    const [fastRows, ruleRows] = [await assignments(fast.id), await assignments(rules.id)];
    expect(fastRows).toHaveLength(MEMBERS - 1);
    expect(fastRows).toEqual(ruleRows);
    const byUser = new Map(fastRows.map((row) => [row.user_id, row]));
    expect(JSON.parse(byUser.get(at(0))!.profile)).toEqual({ fullName: "Seed User1", nickName: "Seed", role: "admin", tier: "gold" });
    expect(JSON.parse(byUser.get(at(12))!.profile)).toEqual({ fullName: " User13", role: "admin", tier: "gold" });
    expect(JSON.parse(byUser.get(at(100))!.profile).role).toBe("viewer");
    expect(byUser.get(at(16))!.user_name).toBeNull();
    expect(byUser.has(at(17))).toBe(false);
    expect(byUser.get(at(20))).toMatchObject({ scope: "USER" });

    const [fastEvents, ruleEvents] = [await membershipEvents(fast.id), await membershipEvents(rules.id)];
    const strip = (events: Awaited<ReturnType<typeof membershipEvents>>) =>
      events.map(({ uuid: _uuid, ...rest }) => rest).sort((a, b) => a.user.id.localeCompare(b.user.id) || a.reason.localeCompare(b.reason));
    expect(strip(fastEvents)).toEqual(strip(ruleEvents));
    // The fast path wrote most of them: a chunk's events share one time-ordered UUID prefix.
    const prefixes = new Map<string, number>();
    for (const event of fastEvents) prefixes.set(event.uuid.slice(0, 30), (prefixes.get(event.uuid.slice(0, 30)) ?? 0) + 1);
    const inChunks = [...prefixes.values()].filter((n) => n > 1).reduce((sum, n) => sum + n, 0);
    expect(inChunks).toBeGreaterThan(MEMBERS * 0.9);
    console.log(`fan-out fast path: ${fastRows.length} assignments identical to the rules' (${inChunks} written by INSERT ... SELECT)`);
  }, 120_000);
});
