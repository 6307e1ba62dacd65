import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb, MAX_BOUND_PARAMS, type DB } from "../../src/db/client";
import { getApp } from "../../src/db/queries/apps";
import { getGroup } from "../../src/db/queries/groups";
import { deleteAppWithCascades, deleteGroupWithCascades } from "../../src/services/deletion-cascades";
import { api, createApp, createGroup, createUser, links, pathOf, unique } from "../helpers/api";
import { provisionedApp } from "../helpers/scim";
import { seedMemberships, seedUsers, settle } from "../helpers/seed";

// Issue 17: deleting an app, a user or a group removed assignments, memberships and push
// mappings (ON DELETE CASCADE) without an event for each. Each removed row now has its own
// System Log event, written in the batch that removes it, and big deletes go in chunks that
// stay within D1's limits (100 bound parameters per statement, 1 MB per bound string).

const SINCE = new Date(Date.now() - 60_000).toISOString();

type LogEvent = {
  eventType: string;
  target: { id: string; type: string; displayName?: string }[];
  debugContext: { debugData: Record<string, any> };
  transaction: { id: string };
};

async function logs(filter: string): Promise<LogEvent[]> {
  const out: LogEvent[] = [];
  let path: string | undefined = `/api/v1/logs?since=${SINCE}&limit=1000&filter=${encodeURIComponent(filter)}`;
  while (path) {
    const res: { status: number; body: LogEvent[]; headers: Headers } = await api("GET", path);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    out.push(...res.body);
    const next: string | undefined = links(res.headers).next;
    path = next ? pathOf(next) : undefined;
  }
  return out;
}

const ofRequest = (res: { headers: Headers }) => logs(`debugContext.debugData.requestId eq "${res.headers.get("X-Okta-Request-Id")}"`);
const count = (events: LogEvent[]) =>
  events.reduce<Record<string, number>>((n, e) => ({ ...n, [e.eventType]: (n[e.eventType] ?? 0) + 1 }), {});
const put = (path: string) => api("PUT", path, undefined, { "Content-Length": "0" });

/** A D1 client that keeps every batch it runs, to check the statements' bound parameters. */
/** A drizzle client over the D1 binding that notes every batch D1 runs, with each statement's bound values. */
function recording(): { db: DB; batches: { params: unknown[] }[][] } {
  const batches: { params: unknown[] }[][] = [];
  const bound = new WeakMap<D1PreparedStatement, unknown[]>();
  const withParams = (statement: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, property) {
        if (property === "bind")
          return (...values: unknown[]) => {
            const result = target.bind(...values);
            bound.set(result, values);
            return result;
          };
        const value = Reflect.get(target, property) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  const d1 = env.DB;
  const wrapped = new Proxy(d1, {
    get(target, property) {
      if (property === "prepare") return (query: string) => withParams(target.prepare(query));
      if (property === "batch")
        return (statements: D1PreparedStatement[]) => {
          batches.push(statements.map((statement) => ({ params: bound.get(statement) ?? [] })));
          return target.batch(statements);
        };
      const value = Reflect.get(target, property) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db: createDb(wrapped), batches };
}

async function seedAssignments(appId: string, userIds: string[]): Promise<void> {
  const now = Date.now();
  await env.DB.prepare(
    `INSERT INTO app_users (app_id, user_id, scope, status, sync_state, user_name, profile, overrides, created, last_updated, status_changed)
     SELECT ?1, value, 'USER', 'ACTIVE', 'DISABLED', value, json_object('role', 'member'), '{}', ?2, ?2, ?2 FROM json_each(?3)`,
  )
    .bind(appId, now, JSON.stringify(userIds))
    .run();
}

describe("deleting an app", () => {
  it("logs every assignment, group assignment and push mapping it removes, with the app's delete", async () => {
    const { app } = await provisionedApp({});
    const direct = [await createUser(), await createUser(), await createUser()];
    for (const user of direct) expect((await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id })).status).toBe(200);
    const assigned = await createGroup();
    const members = [await createUser(), await createUser()];
    for (const user of members) await put(`/api/v1/groups/${assigned.id}/users/${user.id}`);
    expect((await put(`/api/v1/apps/${app.id}/groups/${assigned.id}`)).status).toBe(200);
    await settle(app.id);
    const pushed = await createGroup();
    const mapping = await api("POST", `/api/v1/apps/${app.id}/group-push/mappings`, {
      sourceGroupId: pushed.id,
      targetGroupName: unique("Pushed "),
      status: "INACTIVE",
    });
    expect(mapping.status, JSON.stringify(mapping.body)).toBe(201);

    expect((await api("POST", `/api/v1/apps/${app.id}/lifecycle/deactivate`)).status).toBe(200);
    const deleted = await api("DELETE", `/api/v1/apps/${app.id}`);
    expect(deleted.status).toBe(204);

    const events = await ofRequest(deleted);
    expect(count(events)).toEqual({
      "application.user_membership.remove": 5,
      "group.application_assignment.remove": 1,
      "application.provision.group_push.removed": 1,
      "application.lifecycle.delete": 1,
    });
    const removed = events.filter((e) => e.eventType === "application.user_membership.remove");
    expect(removed.map((e) => e.target[1].id).sort()).toEqual([...direct, ...members].map((u) => u.id).sort());
    for (const event of removed) {
      expect(event.target.map((t) => t.type)).toEqual(["AppInstance", "User", "AppUser"]);
      expect(event.debugContext.debugData).toMatchObject({ reason: "app deleted" });
    }
    expect(removed.filter((e) => e.debugContext.debugData.scope === "GROUP")).toHaveLength(2);
    expect(events.find((e) => e.eventType === "group.application_assignment.remove")).toMatchObject({
      target: [
        { id: app.id, type: "AppInstance" },
        { id: assigned.id, type: "UserGroup" },
      ],
      debugContext: { debugData: { reason: "app deleted", priority: 0 } },
    });
    expect(events.find((e) => e.eventType === "application.provision.group_push.removed")).toMatchObject({
      target: [{ id: app.id }, { id: pushed.id, type: "UserGroup" }, { id: mapping.body.id, type: "GroupPushMapping" }],
      debugContext: { debugData: { reason: "app deleted", targetGroupDeleted: false } },
    });
  });

  it("removes a large app's assignments in chunks, each within D1's limits, one event per assignment", async () => {
    const app = await createApp();
    const userIds = await seedUsers(2_500, unique("").slice(0, 4));
    await seedAssignments(app.id, userIds);
    const db = createDb(env.DB);
    const recorder = recording();
    const report = await deleteAppWithCascades(recorder.db, (await getApp(db, app.id))!, undefined, 1_000);
    expect(report.assignments).toBe(2_500);

    // Two full chunks in batches of their own; the last 500 in the app's own batch.
    expect(recorder.batches).toHaveLength(3);
    const statements = recorder.batches.flat();
    const params = statements.map((s) => s.params.length);
    const strings = statements.flatMap((s) => s.params.filter((p): p is string => typeof p === "string"));
    const largest = Math.max(...strings.map((p) => new TextEncoder().encode(p).length));
    expect(Math.max(...params)).toBeLessThanOrEqual(3);
    expect(Math.max(...params)).toBeLessThan(MAX_BOUND_PARAMS);
    expect(largest).toBeLessThan(1_000_000);
    console.log(
      `cascade: 2,500 assignments removed in ${recorder.batches.length} batches of ${recorder.batches.map((b) => b.length).join("/")} statements; at most ${Math.max(...params)} bound parameters per statement, largest bound string ${largest.toLocaleString("en")} bytes`,
    );

    expect((await api("GET", `/api/v1/apps/${app.id}`)).status).toBe(404);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM app_users WHERE app_id = ?").bind(app.id).first<{ n: number }>();
    expect(left?.n).toBe(0);
    const logged = await env.DB.prepare(
      `SELECT count(*) AS n FROM log_events WHERE event_type = 'application.user_membership.remove'
       AND json_extract(target, '$[0].id') = ? AND json_extract(debug_context, '$.debugData.reason') = 'app deleted'`,
    )
      .bind(app.id)
      .first<{ n: number }>();
    expect(logged?.n).toBe(2_500);
  });

  it("deletes a small app in one batch: nothing is removed unless the app goes too", async () => {
    const app = await createApp();
    const user = await createUser();
    expect((await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id })).status).toBe(200);
    const db = createDb(env.DB);
    const recorder = recording();
    await deleteAppWithCascades(recorder.db, (await getApp(db, app.id))!);
    expect(recorder.batches).toHaveLength(1);
  });

  it("stops between chunks when its invocation's budget is spent, and the next call finishes it", async () => {
    const app = await createApp();
    await seedAssignments(app.id, await seedUsers(2_500, unique("").slice(0, 4)));
    const db = createDb(env.DB);
    let chunks = 0;
    // The coordinator asks its invocation's D1 budget after each chunk; here it allows one per call.
    const first = await deleteAppWithCascades(db, (await getApp(db, app.id))!, undefined, 1_000, () => ++chunks % 2 === 0);
    expect(first).toMatchObject({ done: false, assignments: 1_000 });
    expect((await api("GET", `/api/v1/apps/${app.id}`)).status).toBe(200);
    const left = async () =>
      (await env.DB.prepare("SELECT count(*) AS n FROM app_users WHERE app_id = ?").bind(app.id).first<{ n: number }>())!.n;
    expect(await left()).toBe(1_500);
    const second = await deleteAppWithCascades(db, (await getApp(db, app.id))!, undefined, 1_000, () => ++chunks % 2 === 0);
    expect(second).toMatchObject({ done: true, assignments: 1_500 });
    expect((await api("GET", `/api/v1/apps/${app.id}`)).status).toBe(404);
    expect(await left()).toBe(0);
    const logged = await env.DB.prepare(
      `SELECT count(*) AS n FROM log_events WHERE event_type = 'application.user_membership.remove' AND json_extract(target, '$[0].id') = ?`,
    )
      .bind(app.id)
      .first<{ n: number }>();
    expect(logged?.n).toBe(2_500);
  });
});

describe("deleting a group", () => {
  it("logs every membership and push mapping it removes, next to its app assignments", async () => {
    const app = await createApp();
    const group = await createGroup();
    const members = [await createUser(), await createUser(), await createUser()];
    for (const user of members) await put(`/api/v1/groups/${group.id}/users/${user.id}`);
    expect((await put(`/api/v1/apps/${app.id}/groups/${group.id}`)).status).toBe(200);
    await settle(app.id);
    const { app: pushing } = await provisionedApp({});
    const mapping = await api("POST", `/api/v1/apps/${pushing.id}/group-push/mappings`, {
      sourceGroupId: group.id,
      targetGroupName: unique("Pushed "),
      status: "INACTIVE",
    });
    expect(mapping.status).toBe(201);

    const deleted = await api("DELETE", `/api/v1/groups/${group.id}`);
    expect(deleted.status).toBe(204);
    await settle(app.id);
    const events = await ofRequest(deleted);
    expect(count(events)).toEqual({
      "group.user_membership.remove": 3,
      "group.application_assignment.remove": 1,
      "application.provision.group_push.removed": 1,
      "group.lifecycle.delete": 1,
      // The assignments the group granted, removed by the app's coordinator afterwards.
      "application.user_membership.remove": 3,
    });
    const memberships = events.filter((e) => e.eventType === "group.user_membership.remove");
    expect(memberships.map((e) => e.target[0].id).sort()).toEqual(members.map((u) => u.id).sort());
    for (const event of memberships) {
      expect(event.target[1]).toMatchObject({ id: group.id, type: "UserGroup" });
      expect(event.debugContext.debugData).toMatchObject({ reason: "group deleted" });
    }
    expect(events.find((e) => e.eventType === "application.provision.group_push.removed")!.target[0].id).toBe(pushing.id);
    expect((await api("GET", `/api/v1/apps/${pushing.id}/group-push/mappings`)).body).toEqual([]);
  });

  it("removes a large group's memberships in chunks too", async () => {
    const group = await createGroup();
    await seedMemberships(group.id, await seedUsers(250, unique("").slice(0, 4)));
    const db = createDb(env.DB);
    const recorder = recording();
    const report = await deleteGroupWithCascades(recorder.db, (await getGroup(db, group.id))!, undefined, 100);
    expect(report.memberships).toBe(250);
    expect(recorder.batches).toHaveLength(3);
    expect(Math.max(...recorder.batches.flat().map((s) => s.params.length))).toBeLessThan(MAX_BOUND_PARAMS);
    const logged = await env.DB.prepare(
      `SELECT count(*) AS n FROM log_events WHERE event_type = 'group.user_membership.remove' AND json_extract(target, '$[1].id') = ?`,
    )
      .bind(group.id)
      .first<{ n: number }>();
    expect(logged?.n).toBe(250);
    expect((await api("GET", `/api/v1/groups/${group.id}`)).status).toBe(404);
  });
});

describe("deleting a user", () => {
  it("logs every membership (and any assignment) the user takes along", async () => {
    const groups = [await createGroup(), await createGroup()];
    const user = await createUser();
    for (const group of groups) await put(`/api/v1/groups/${group.id}/users/${user.id}`);
    expect((await api("DELETE", `/api/v1/users/${user.id}`)).status).toBe(204);
    // A stray assignment made behind the API's back (deactivation removed the real ones).
    const app = await createApp();
    await seedAssignments(app.id, [user.id]);

    const deleted = await api("DELETE", `/api/v1/users/${user.id}`);
    expect(deleted.status).toBe(204);
    const events = await ofRequest(deleted);
    expect(count(events)).toEqual({
      "group.user_membership.remove": 2,
      "application.user_membership.remove": 1,
      "user.lifecycle.delete.initiated": 1,
    });
    for (const event of events.filter((e) => e.eventType === "group.user_membership.remove")) {
      expect(event.target[0].id).toBe(user.id);
      expect(event.debugContext.debugData).toMatchObject({ reason: "user deleted" });
    }
    expect(events.find((e) => e.eventType === "application.user_membership.remove")!.target[0].id).toBe(app.id);
    expect((await api("GET", `/api/v1/groups/${groups[0].id}/users`)).body).toEqual([]);
  });
});
