import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createUser } from "../helpers/api";
import { downstreamUser, importingApp, runImport } from "../helpers/imports";
import { appUserWhen, eventually, provisionedApp } from "../helpers/scim";

// A seeded downstream: the SCIM test server answers each request with the next entry of a fault
// schedule drawn from a fixed seed (429 with and without Retry-After, 500, dropped connections,
// slow answers, commits whose answer never arrives, 409 after commit, 200s that are not JSON).
// Every task must end SYNCHRONIZED or FAILED with a reason, and no user may exist twice.

const SEED = 20261122;
const FAULT_KINDS = [
  { kind: "429", retryAfter: "1" },
  { kind: "429" },
  { kind: "500" },
  { kind: "reset" },
  { kind: "delay", delayMs: 300 },
  { kind: "commit-then-hang" },
  { kind: "commit-then-409", method: "POST" },
  { kind: "malformed-json" },
] as const;

/** mulberry32: a small, well-known seeded PRNG, so a failing schedule can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function faultSchedule(seed: number, length: number, rate: number) {
  const random = prng(seed);
  return Array.from({ length }, () => {
    if (random() >= rate) return { kind: "pass", times: 1 };
    return { ...FAULT_KINDS[Math.floor(random() * FAULT_KINDS.length)], times: 1 };
  });
}

const tasksOf = async (appId: string) => (await api("GET", `/api/v1/apps/${appId}/provisioning/tasks`)).body as any[];

describe("fault injection", () => {
  it("ends every provisioning task SYNCHRONIZED or FAILED with a reason, with no duplicate downstream user", async () => {
    const { app, scim } = await provisionedApp();
    const schedule = faultSchedule(SEED, 400, 0.35);
    // A fault entry only applies to requests of its method; the rest take turns in order.
    await scim.fault(...schedule);
    const users = [];
    for (let i = 0; i < 40; i++) users.push(await createUser());
    for (const user of users) await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    // Changes while faults continue: profile updates for 10, unassignment for 10.
    for (const user of users.slice(0, 10)) await api("POST", `/api/v1/users/${user.id}`, { profile: { nickName: "changed" } });
    for (const user of users.slice(30)) await api("DELETE", `/api/v1/apps/${app.id}/users/${user.id}`);

    // Settled: nothing left to run but failed tasks.
    await eventually(async () => (await tasksOf(app.id)).every((task) => task.status === "FAILED"), 90_000, "queue settled");
    const failed = new Map((await tasksOf(app.id)).map((task) => [task.userId, task]));
    for (const task of failed.values()) expect(task.lastError, JSON.stringify(task)).toBeTruthy();

    const state = await scim.state();
    const userNames = state.users.map((u: any) => u.userName);
    expect(new Set(userNames).size).toBe(userNames.length);
    for (const user of users.slice(0, 30)) {
      if (failed.has(user.id)) continue;
      const appUser = (await api("GET", `/api/v1/apps/${app.id}/users/${user.id}`)).body;
      expect(appUser, user.id).toMatchObject({ status: "PROVISIONED", syncState: "SYNCHRONIZED" });
      expect(state.users.filter((u: any) => u.userName === user.profile.login && u.active)).toHaveLength(1);
    }
    for (const user of users.slice(30)) {
      if (failed.has(user.id)) continue;
      expect(state.users.filter((u: any) => u.userName === user.profile.login && u.active)).toHaveLength(0);
    }
    const injected = schedule.filter((f) => f.kind !== "pass");
    const used = state.requests.length;
    const byKind = Object.fromEntries(FAULT_KINDS.map((f) => [f.kind + ("retryAfter" in f ? "+Retry-After" : ""), 0]));
    for (const fault of schedule.slice(0, used))
      if (fault.kind !== "pass") byKind[fault.kind + ("retryAfter" in fault ? "+Retry-After" : "")]++;
    console.log(
      `fault-injection: seed ${SEED}, ${used} downstream requests, ${Object.values(byKind).reduce((a, b) => a + b, 0)} faults injected of ${injected.length} scheduled ${JSON.stringify(byKind)}, ${failed.size} tasks FAILED with a reason, duplicates 0, losses 0`,
    );
  }, 120_000);

  it("does not unassign a user that shifting pages hid from a full import", async () => {
    const { app, scim } = await importingApp();
    const stamp = crypto.randomUUID().slice(0, 6);
    for (let i = 0; i < 150; i++) {
      const name = `p${String(i).padStart(3, "0")}.${stamp}@example.com`;
      await downstreamUser(scim, { userName: name, email: name, givenName: "P", familyName: `${i}` });
    }
    expect((await runImport(app.id)).counters.applied).toBe(150);
    // Between page 1 and page 2 of the next import the first user is deleted downstream: with
    // offset paging the 101st user moves onto page 1's range and no page lists it.
    await scim.fault({ method: "GET", path: "^/Users\\?startIndex=101", kind: "delete-first-user", times: 1 });
    // 100 + 49 listed, plus the hidden one (p100) found by asking for it by id. Without that check
    // p100 would be planned as gone and unassigned.
    const second = await runImport(app.id);
    expect(second.counters).toMatchObject({ fetched: 150, toUnassign: 0, verifiedMissing: 1, missedByPaging: 1 });
    expect((await api("GET", `/api/v1/apps/${app.id}/users?limit=200`)).body).toHaveLength(150);

    // The next import sees that p000 really is gone (a 404 when asked): that one is unassigned.
    const third = await runImport(app.id);
    expect(third.counters).toMatchObject({ fetched: 149, toUnassign: 1, verifiedMissing: 1, missedByPaging: 0 });
    const names = (await api("GET", `/api/v1/apps/${app.id}/users?limit=200`)).body.map((u: any) => u.credentials.userName);
    expect(names).toHaveLength(149);
    expect(names).not.toContain(`p000.${stamp}@example.com`);
    expect(names).toContain(`p100.${stamp}@example.com`);
  }, 120_000);

  it("ends the same after the coordinator is evicted mid-provisioning as without it", async () => {
    const evicted = await provisionedApp();
    const steady = await provisionedApp();
    for (const { scim } of [evicted, steady]) await scim.fault({ kind: "delay", delayMs: 300, times: 1_000 });
    const users = [];
    for (let i = 0; i < 30; i++) users.push(await createUser());
    for (const user of users) {
      await api("POST", `/api/v1/apps/${evicted.app.id}/users`, { id: user.id });
      await api("POST", `/api/v1/apps/${steady.app.id}/users`, { id: user.id });
    }
    // Evicted twice while its queue drains (runs in flight are lost); the alarm picks the work up again.
    let evictions = 0;
    for (let i = 0; i < 20 && evictions < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const pending = (await api("GET", `/api/v1/apps/${evicted.app.id}/provisioning/tasks`)).body.length;
      if (pending === 0) break;
      try {
        await evictDurableObject(env.APP_COORDINATOR.getByName(evicted.app.id));
        evictions++;
      } catch (error) {
        if (!String(error).includes("not currently running")) throw error;
      }
    }
    expect(evictions).toBeGreaterThanOrEqual(1);
    for (const { app } of [evicted, steady]) {
      for (const user of users) await appUserWhen(app.id, user.id, (u) => u.syncState === "SYNCHRONIZED", "synchronized");
    }
    const shape = async (scim: typeof evicted.scim) =>
      (await scim.state()).users
        .map((u: any) => ({ userName: u.userName, active: u.active, name: u.name }))
        .sort((a: any, b: any) => a.userName.localeCompare(b.userName));
    const [afterEviction, uninterrupted] = await Promise.all([shape(evicted.scim), shape(steady.scim)]);
    expect(afterEviction).toHaveLength(30);
    expect(afterEviction).toEqual(uninterrupted);
  }, 120_000);
});
