import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createApp, createUser } from "../helpers/api";

// Every change to one app's assignments funnels through that app's AppCoordinator. Fire a
// burst of concurrent assign / update / unassign calls and check the outcome equals some
// serial order of the same calls.
describe("per-app serialization", () => {
  it("applies 60 concurrent changes to one app as a serial order would", async () => {
    const app = await createApp();
    const users = [];
    for (let i = 0; i < 10; i++) users.push(await createUser());

    type Op = { kind: "assign" | "update" | "unassign"; userId: string; tag: number };
    const ops: Op[] = [];
    for (let i = 0; i < 60; i++) {
      const kind = (["assign", "assign", "update", "unassign"] as const)[i % 4];
      ops.push({ kind, userId: users[(i * 7) % users.length].id, tag: i });
    }
    const send = (op: Op) => {
      const base = `/api/v1/apps/${app.id}/users`;
      if (op.kind === "assign") return api("POST", base, { id: op.userId, profile: { tag: op.tag } });
      if (op.kind === "update") return api("POST", `${base}/${op.userId}`, { profile: { tag: op.tag } });
      return api("DELETE", `${base}/${op.userId}`);
    };
    const responses = await Promise.all(ops.map(send));

    // No 5xx; an update or unassign of a user not (yet) assigned is a clean 404.
    for (const [i, res] of responses.entries()) {
      expect(res.status, `${ops[i].kind} -> ${JSON.stringify(res.body)}`).toBeLessThan(500);
      if (res.status !== 200 && res.status !== 204) expect(res.status).toBe(404);
    }

    // Replay the successful calls serially in completion order: the coordinator ran them in
    // some order; whatever it was, each user's final state is the last successful write.
    const list = await api("GET", `/api/v1/apps/${app.id}/users?limit=500`);
    const listed = new Map<string, any>(list.body.map((u: { id: string }) => [u.id, u]));
    expect(listed.size).toBe(list.body.length); // no duplicate app users

    const rows = await env.DB.prepare("SELECT user_id, count(*) AS n FROM app_users WHERE app_id = ? GROUP BY user_id").bind(app.id).all();
    for (const row of rows.results as { n: number }[]) expect(row.n).toBe(1);

    for (const user of users) {
      const get = await api("GET", `/api/v1/apps/${app.id}/users/${user.id}`);
      if (listed.has(user.id)) {
        expect(get.status).toBe(200);
        expect(get.body).toEqual(listed.get(user.id));
      } else {
        expect(get.status).toBe(404);
      }
    }

    // Per user, the successes must be explainable by one serial order: a user present at the end
    // had a successful assign, and an unassign that succeeded was preceded by a successful assign.
    for (const user of users) {
      const mine = ops.map((op, i) => ({ op, res: responses[i] })).filter((x) => x.op.userId === user.id);
      const assigned = mine.filter((x) => x.op.kind === "assign" && x.res.status === 200);
      const unassigned = mine.filter((x) => x.op.kind === "unassign" && x.res.status === 204);
      expect(unassigned.length).toBeLessThanOrEqual(assigned.length);
      if (listed.has(user.id)) {
        expect(assigned.length).toBeGreaterThan(unassigned.length);
        const tag = listed.get(user.id).profile.tag;
        const writers = mine.filter((x) => x.op.kind !== "unassign" && x.res.status === 200).map((x) => x.op.tag);
        expect(writers).toContain(tag);
      } else {
        expect(unassigned.length).toBe(assigned.length);
      }
    }
  });
});

describe("AppCoordinator critical section", () => {
  it("never lets an update resurrect an assignment removed by a concurrent unassign", async () => {
    const app = await createApp();
    const users = [];
    for (let i = 0; i < 20; i++) {
      const user = await createUser();
      await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
      users.push(user);
    }
    const stub = env.APP_COORDINATOR.getByName(app.id);
    // Each pair is sent together. Without the critical section the unassign's DELETE lands
    // between the update's read (row present) and its upsert, and the upsert brings the row back.
    const outcomes = await Promise.all(
      users.map(async (user) => {
        const [unassign, update] = await Promise.all([
          stub.unassignUser(app.id, user.id),
          stub.updateUser(app.id, user.id, { profile: { touched: true } }),
        ]);
        const after = await api("GET", `/api/v1/apps/${app.id}/users/${user.id}`);
        return { update: update.ok, unassign: unassign.ok, present: after.status === 200 };
      }),
    );
    for (const outcome of outcomes) {
      // Sent in this order, a serial run unassigns first and the update finds nothing (404).
      expect(outcome).toEqual({ unassign: true, update: false, present: false });
    }
  });
});
