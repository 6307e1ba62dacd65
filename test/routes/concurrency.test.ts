import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { api, createApp, createGroup, type ApiResponse } from "../helpers/api";
import { allAppUserIds, seedMemberships, seedUsers, settle } from "../helpers/seed";

// Issue 8: more than 500 concurrent assignment changes across 3 apps, then proof that the end
// state is the one a serial run of the accepted operations gives.
//
// How the expected state is known (the operations are sent all at once, so the server picks
// the order):
// - Every operation but one kind touches a (app, user) pair, a membership or a group
//   assignment that no other operation touches, or touches it in ways that commute (adding a
//   member to a group while that group's assignment profile changes; removing a member while
//   the group is unassigned: both end the same in any order). For those the final state does
//   not depend on the order at all.
// - The order-dependent kind comes in pairs on one (app, user): assign + update, and assign +
//   unassign. The second one's answer says which ran first: an update or unassign that
//   succeeded ran after the assign; one that answered 404 ran before it, changed nothing and
//   is not an accepted operation.
// So the accepted operations, replayed one by one with each pair in its answered order, must
// give the same state. Two independent checks: a model of the rules (who is assigned, with
// which scope) computed from the accepted operations, and a real serial replay of the same
// operations, one request at a time, on a twin world (same apps, groups, members), whose
// final state must equal the concurrent one in everything but ids and timestamps.

type Json = Record<string, unknown>;
type Op =
  | { kind: "assign"; app: number; user: number; profile: Json; pair?: number }
  | { kind: "update"; app: number; user: number; profile: Json; pair?: number }
  | { kind: "unassign"; app: number; user: number; pair?: number }
  | { kind: "addMember"; group: string; user: number }
  | { kind: "removeMember"; group: string; user: number }
  | { kind: "putGroup"; app: number; group: string; profile: Json }
  | { kind: "deleteGroup"; app: number; group: string };

const APPS = 3;
const USERS = 700;

interface World {
  tag: string;
  apps: string[];
  users: string[];
  groups: Map<string, string>;
}

/** Groups by role: static-i (assigned to apps i and i+1 throughout), on-i (assigned to app i during the burst), off-i (unassigned from app i during it). */
function groupNames(): string[] {
  return Array.from({ length: APPS }, (_, i) => [`static-${i}`, `on-${i}`, `off-${i}`]).flat();
}

/** Who is where before the burst: index ranges of the seeded users. */
function plan() {
  let next = 0;
  const take = (n: number) => Array.from({ length: n }, () => next++);
  const perApp = Array.from({ length: APPS }, () => ({
    fresh: take(40), // assigned directly during the burst
    toUpdate: take(30), // assigned directly before, updated during
    toUnassign: take(30), // assigned directly before, unassigned during
    assignUpdate: take(10), // assign + update in a pair
    assignUnassign: take(10), // assign + unassign in a pair
  }));
  const perGroup = Array.from({ length: APPS }, () => ({
    staticStay: take(10), // members of static-i throughout
    staticAdd: take(10), // added to static-i during
    staticRemove: take(10), // members of static-i, removed during
    staticDirect: take(10), // members of static-i, also assigned directly to app i during
    staticBoth: take(10), // members of static-i and assigned directly to app i before; unassigned during (stay as GROUP)
    onMembers: take(20), // members of on-i (5 removed during)
    onAdd: take(5),
    offMembers: take(20), // members of off-i (5 removed during)
    offAdd: take(5),
  }));
  if (next > USERS) throw new Error(`plan needs ${next} users`);
  return { perApp, perGroup };
}

async function buildWorld(tag: string): Promise<World> {
  const { perApp, perGroup } = plan();
  const users = await seedUsers(USERS, tag);
  const apps: string[] = [];
  for (let i = 0; i < APPS; i++) apps.push((await createApp({ label: `Burst ${tag} ${i}` })).id);
  const groups = new Map<string, string>();
  for (const name of groupNames()) groups.set(name, (await createGroup(`${name} ${tag} ${crypto.randomUUID().slice(0, 6)}`)).id);
  const ids = (indexes: number[]) => indexes.map((i) => users[i]);
  for (let i = 0; i < APPS; i++) {
    const g = perGroup[i];
    await seedMemberships(groups.get(`static-${i}`)!, ids([...g.staticStay, ...g.staticRemove, ...g.staticDirect, ...g.staticBoth]));
    await seedMemberships(groups.get(`on-${i}`)!, ids(g.onMembers));
    await seedMemberships(groups.get(`off-${i}`)!, ids(g.offMembers));
  }
  const must = async (res: Promise<ApiResponse>, status: number) => {
    const done = await res;
    if (done.status !== status) throw new Error(`setup: ${done.status} ${JSON.stringify(done.body)}`);
  };
  for (let i = 0; i < APPS; i++) {
    await must(api("PUT", `/api/v1/apps/${apps[i]}/groups/${groups.get(`static-${i}`)}`, { profile: { role: `static-${i}` } }), 200);
    await must(
      api("PUT", `/api/v1/apps/${apps[(i + 1) % APPS]}/groups/${groups.get(`static-${i}`)}`, { profile: { role: `static-${i}` } }),
      200,
    );
    await must(api("PUT", `/api/v1/apps/${apps[i]}/groups/${groups.get(`off-${i}`)}`, { profile: { role: `off-${i}` } }), 200);
  }
  for (let i = 0; i < APPS; i++) {
    const direct = [...perApp[i].toUpdate, ...perApp[i].toUnassign, ...perGroup[i].staticBoth];
    for (let at = 0; at < direct.length; at += 10) {
      await Promise.all(
        direct
          .slice(at, at + 10)
          .map((u) => must(api("POST", `/api/v1/apps/${apps[i]}/users`, { id: users[u], profile: { tag: `before-${u}` } }), 200)),
      );
    }
  }
  for (const app of apps) await settle(app);
  return { tag, apps, users, groups };
}

/** The burst: every kind of change, in pairs where order matters. */
function operations(): Op[] {
  const { perApp, perGroup } = plan();
  const ops: Op[] = [];
  for (let a = 0; a < APPS; a++) {
    const p = perApp[a];
    for (const u of p.fresh) ops.push({ kind: "assign", app: a, user: u, profile: { tag: `assign-${u}` } });
    for (const u of p.toUpdate) ops.push({ kind: "update", app: a, user: u, profile: { tag: `update-${u}` } });
    for (const u of p.toUnassign) ops.push({ kind: "unassign", app: a, user: u });
    for (const u of p.assignUpdate) {
      ops.push({ kind: "assign", app: a, user: u, profile: { tag: `assign-${u}` } });
      ops.push({ kind: "update", app: a, user: u, profile: { tag: `update-${u}` }, pair: ops.length - 1 });
    }
    for (const u of p.assignUnassign) {
      ops.push({ kind: "assign", app: a, user: u, profile: { tag: `assign-${u}` } });
      ops.push({ kind: "unassign", app: a, user: u, pair: ops.length - 1 });
    }
  }
  for (let i = 0; i < APPS; i++) {
    const g = perGroup[i];
    for (const u of g.staticAdd) ops.push({ kind: "addMember", group: `static-${i}`, user: u });
    for (const u of g.staticRemove) ops.push({ kind: "removeMember", group: `static-${i}`, user: u });
    for (const u of g.staticDirect) ops.push({ kind: "assign", app: i, user: u, profile: { tag: `direct-${u}` } });
    for (const u of g.staticBoth) ops.push({ kind: "unassign", app: i, user: u });
    ops.push({ kind: "putGroup", app: i, group: `static-${i}`, profile: { role: `static-${i}-v2` } });
    ops.push({ kind: "putGroup", app: i, group: `on-${i}`, profile: { role: `on-${i}` } });
    for (const u of g.onAdd) ops.push({ kind: "addMember", group: `on-${i}`, user: u });
    for (const u of g.onMembers.slice(0, 5)) ops.push({ kind: "removeMember", group: `on-${i}`, user: u });
    ops.push({ kind: "deleteGroup", app: i, group: `off-${i}` });
    for (const u of g.offAdd) ops.push({ kind: "addMember", group: `off-${i}`, user: u });
    for (const u of g.offMembers.slice(0, 5)) ops.push({ kind: "removeMember", group: `off-${i}`, user: u });
  }
  return ops;
}

function send(op: Op, world: World): Promise<ApiResponse> {
  const user = "user" in op ? world.users[op.user] : "";
  const empty = { "Content-Length": "0" };
  switch (op.kind) {
    case "assign":
      return api("POST", `/api/v1/apps/${world.apps[op.app]}/users`, { id: user, profile: op.profile });
    case "update":
      return api("POST", `/api/v1/apps/${world.apps[op.app]}/users/${user}`, { profile: op.profile });
    case "unassign":
      return api("DELETE", `/api/v1/apps/${world.apps[op.app]}/users/${user}`);
    case "addMember":
      return api("PUT", `/api/v1/groups/${world.groups.get(op.group)}/users/${user}`, undefined, empty);
    case "removeMember":
      return api("DELETE", `/api/v1/groups/${world.groups.get(op.group)}/users/${user}`);
    case "putGroup":
      return api("PUT", `/api/v1/apps/${world.apps[op.app]}/groups/${world.groups.get(op.group)}`, { profile: op.profile });
    case "deleteGroup":
      return api("DELETE", `/api/v1/apps/${world.apps[op.app]}/groups/${world.groups.get(op.group)}`);
  }
}

const accepted = (status: number) => status === 200 || status === 204;

/** The statuses each kind may answer with in the burst (a pair's second op may find nothing). */
function allowed(op: Op): number[] {
  if (op.kind === "update" || op.kind === "unassign") return op.pair === undefined ? [op.kind === "update" ? 200 : 204] : [200, 204, 404];
  if (op.kind === "assign" || op.kind === "putGroup") return [200];
  return [204];
}

/**
 * The rules as a model: direct grants, memberships and group assignments; an app user exists
 * with scope USER when granted directly, GROUP when only a group grants it.
 */
class Model {
  direct = new Map<number, Set<number>>();
  members = new Map<string, Set<number>>();
  assigned = new Map<number, Set<string>>();

  constructor() {
    const { perApp, perGroup } = plan();
    for (let i = 0; i < APPS; i++) {
      this.direct.set(i, new Set([...perApp[i].toUpdate, ...perApp[i].toUnassign, ...perGroup[i].staticBoth]));
      const g = perGroup[i];
      this.members.set(`static-${i}`, new Set([...g.staticStay, ...g.staticRemove, ...g.staticDirect, ...g.staticBoth]));
      this.members.set(`on-${i}`, new Set(g.onMembers));
      this.members.set(`off-${i}`, new Set(g.offMembers));
    }
    for (let i = 0; i < APPS; i++) this.assigned.set(i, new Set([`static-${i}`, `static-${(i + APPS - 1) % APPS}`, `off-${i}`]));
  }

  granted(app: number, user: number): boolean {
    return [...this.assigned.get(app)!].some((group) => this.members.get(group)!.has(user));
  }

  /** Applies an accepted operation; says what is wrong if a serial run could not have accepted it. */
  apply(op: Op): string | undefined {
    switch (op.kind) {
      case "assign":
        this.direct.get(op.app)!.add(op.user);
        return;
      case "update":
        if (!this.direct.get(op.app)!.has(op.user) && !this.granted(op.app, op.user)) return "update of an absent app user succeeded";
        return;
      case "unassign":
        if (!this.direct.get(op.app)!.delete(op.user)) return "unassign without a direct grant succeeded";
        return;
      case "addMember":
        this.members.get(op.group)!.add(op.user);
        return;
      case "removeMember":
        this.members.get(op.group)!.delete(op.user);
        return;
      case "putGroup":
        this.assigned.get(op.app)!.add(op.group);
        return;
      case "deleteGroup":
        if (!this.assigned.get(op.app)!.delete(op.group)) return "unassigning an unassigned group succeeded";
    }
  }

  /** userIndex -> scope, for every app user of the app. */
  appUsers(app: number): Map<number, "USER" | "GROUP"> {
    const out = new Map<number, "USER" | "GROUP">();
    for (const group of this.assigned.get(app)!) for (const user of this.members.get(group)!) out.set(user, "GROUP");
    for (const user of this.direct.get(app)!) out.set(user, "USER");
    return out;
  }
}

/** The accepted operations in an order a serial run would have had: each pair as answered. */
function serialOrder(ops: Op[], statuses: number[]): Op[] {
  const order: Op[] = [];
  for (const [i, op] of ops.entries()) {
    if (!accepted(statuses[i])) continue;
    // A pair's second op comes right after its first (pushed together there).
    if ("pair" in op && op.pair !== undefined) continue;
    order.push(op);
    const second = ops.findIndex((o) => "pair" in o && o.pair === i);
    if (second !== -1 && accepted(statuses[second])) order.push(ops[second]);
  }
  return order;
}

/** Everything observable about the apps' assignments, with ids replaced by positions. */
async function observed(world: World) {
  const userIndex = new Map(world.users.map((id, i) => [id, i]));
  const groupName = new Map([...world.groups].map(([name, id]) => [id, name]));
  const apps = [];
  for (const appId of world.apps) {
    const listed: any[] = [];
    for (let path: string | undefined = `/api/v1/apps/${appId}/users?limit=500`; path;) {
      const page: ApiResponse = await api("GET", path);
      expect(page.status).toBe(200);
      listed.push(...page.body);
      const next = /<([^>]+)>;\s*rel="next"/.exec(page.headers.get("Link") ?? "");
      path = next ? new URL(next[1]).pathname + new URL(next[1]).search : undefined;
    }
    const groups = (await api("GET", `/api/v1/apps/${appId}/groups?limit=200`)).body as any[];
    apps.push({
      users: listed
        .map((u) => ({
          user: userIndex.get(u.id),
          scope: u.scope,
          status: u.status,
          syncState: u.syncState,
          profile: u.profile,
          // App usernames come from the seeded logins, which carry the world's tag.
          credentials: JSON.parse(JSON.stringify(u.credentials).replaceAll(world.tag, "TAG")),
        }))
        .sort((a, b) => a.user! - b.user!),
      groups: groups.map((g) => ({ group: groupName.get(g.id), priority: g.priority, profile: g.profile })),
      listed,
    });
  }
  const memberships = await env.DB.prepare(
    `SELECT group_id, user_id FROM group_members WHERE group_id IN (SELECT value FROM json_each(?)) ORDER BY group_id, user_id`,
  )
    .bind(JSON.stringify([...world.groups.values()]))
    .all<{ group_id: string; user_id: string }>();
  const members = memberships.results.map((m) => `${groupName.get(m.group_id)}:${userIndex.get(m.user_id)}`).sort();
  return { apps, members };
}

describe("concurrent assignment changes", () => {
  it("ends as a serial replay of the accepted operations: no loss, no duplicate, list = GET", async () => {
    const world = await buildWorld("Cc01");
    // One fixed shuffle of the operations (a pair's second op then refers to its partner's new position).
    const original = operations();
    const permutation = fc.sample(fc.shuffledSubarray([...original.keys()], { minLength: original.length }), { seed: 8, numRuns: 1 })[0];
    const newPosition = new Map(permutation.map((from, to) => [from, to]));
    const shuffled: Op[] = permutation.map((from) => {
      const op = original[from];
      return "pair" in op && op.pair !== undefined ? { ...op, pair: newPosition.get(op.pair)! } : op;
    });
    expect(shuffled.length).toBeGreaterThanOrEqual(500);

    const started = Date.now();
    const responses = await Promise.all(shuffled.map((op) => send(op, world)));
    const burstMs = Date.now() - started;
    for (const app of world.apps) await settle(app);

    // No 5xx, and each answer is one a serial run could give.
    const statuses = responses.map((r) => r.status);
    for (const [i, res] of responses.entries()) {
      expect(allowed(shuffled[i]), `${JSON.stringify(shuffled[i])} -> ${res.status} ${JSON.stringify(res.body)}`).toContain(res.status);
    }
    for (const [i, op] of shuffled.entries()) {
      if (op.kind === "unassign" && op.pair === undefined && plan().perGroup.some((g) => g.staticBoth.includes(op.user))) {
        expect(responses[i].headers.get("X-Provisio-Assignment-Retained-By")).toBe("GROUP");
      }
    }

    // Model: who is assigned where, with which scope.
    const model = new Model();
    const order = serialOrder(shuffled, statuses);
    for (const op of order) expect(model.apply(op), JSON.stringify(op)).toBeUndefined();
    const state = await observed(world);
    for (let a = 0; a < APPS; a++) {
      const expected = [...model.appUsers(a)].sort((x, y) => x[0] - y[0]).map(([user, scope]) => ({ user, scope }));
      expect(
        state.apps[a].users.map((u) => ({ user: u.user, scope: u.scope })),
        `app ${a}`,
      ).toEqual(expected);
    }

    // D1: one row per user and app, dense unique priorities, and D1 agrees with the list.
    const duplicates = await env.DB.prepare(
      `SELECT app_id, user_id, count(*) AS n FROM app_users WHERE app_id IN (SELECT value FROM json_each(?1)) GROUP BY app_id, user_id HAVING n > 1`,
    )
      .bind(JSON.stringify(world.apps))
      .all();
    expect(duplicates.results).toEqual([]);
    for (const [a, appId] of world.apps.entries()) {
      const rows = await env.DB.prepare("SELECT user_id FROM app_users WHERE app_id = ? ORDER BY user_id")
        .bind(appId)
        .all<{ user_id: string }>();
      expect(rows.results.map((r) => r.user_id)).toEqual(await allAppUserIds(appId));
      expect(rows.results.length).toBe(state.apps[a].users.length);
      const priorities = state.apps[a].groups.map((g) => g.priority);
      expect(priorities).toEqual(priorities.map((_, i) => i));
      const ops = await api("GET", `/api/v1/apps/${appId}/assignment-operations`);
      expect(ops.body).toEqual([]);
    }

    // List and GET agree, for every user an operation touched or the model expects.
    for (const [a, appId] of world.apps.entries()) {
      const byId = new Map(state.apps[a].listed.map((u) => [u.id, u]));
      const touched = new Set(shuffled.filter((op) => "user" in op).map((op) => (op as { user: number }).user));
      for (const u of state.apps[a].users) touched.add(u.user!);
      const users = [...touched];
      for (let at = 0; at < users.length; at += 25) {
        const batch = users.slice(at, at + 25);
        const got = await Promise.all(batch.map((u) => api("GET", `/api/v1/apps/${appId}/users/${world.users[u]}`)));
        for (const [k, u] of batch.entries()) {
          if (byId.has(world.users[u])) expect(got[k].body, `app ${a} user ${u}`).toEqual(byId.get(world.users[u]));
          else expect(got[k].status, `app ${a} user ${u}`).toBe(404);
        }
      }
    }

    // The same accepted operations, one at a time, on a twin world: the same end state.
    const twin = await buildWorld("Cc02");
    for (const op of order) {
      const res = await send(op, twin);
      expect(accepted(res.status), `replay ${JSON.stringify(op)} -> ${res.status} ${JSON.stringify(res.body)}`).toBe(true);
    }
    for (const app of twin.apps) await settle(app);
    const replayed = await observed(twin);
    const strip = (s: Awaited<ReturnType<typeof observed>>) => ({
      apps: s.apps.map(({ users, groups }) => ({ users, groups })),
      members: s.members,
    });
    expect(strip(state)).toEqual(strip(replayed));

    const kinds = new Map<string, number>();
    for (const op of shuffled) kinds.set(op.kind, (kinds.get(op.kind) ?? 0) + 1);
    const fiveXx = statuses.filter((s) => s >= 500).length;
    console.log(
      `concurrency: ${shuffled.length} concurrent operations on ${APPS} apps (${[...kinds].map(([k, n]) => `${k} ${n}`).join(", ")}), ` +
        `${order.length} accepted, burst ${burstMs} ms; 5xx: ${fiveXx}, losses: 0, duplicates: 0; serial replay on a twin: identical`,
    );
  }, 240_000);
});
