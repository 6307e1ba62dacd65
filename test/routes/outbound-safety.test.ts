import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createGroup, createUser } from "../helpers/api";
import { ConsoleClient, textOf } from "../helpers/console";
import { appUserWhen, eventually, provisionedApp } from "../helpers/scim";
import { seedMemberships, seedUsers } from "../helpers/seed";

const breakerOf = async (appId: string) => (await api("GET", `/api/v1/apps/${appId}/provisioning/circuit-breaker`)).body;
const tasksOf = async (appId: string, status?: string) =>
  (await api("GET", `/api/v1/apps/${appId}/provisioning/tasks${status ? `?status=${status}` : ""}`)).body as any[];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("per-app circuit breaker", () => {
  it("opens when the downstream keeps failing, keeps the queue intact, probes, and closes when it recovers", async () => {
    const { app, scim } = await provisionedApp();
    // Every call fails with 500 until the downstream "recovers".
    await scim.fault({ kind: "500", times: 100_000 });
    const users = [];
    for (let i = 0; i < 30; i++) users.push(await createUser());
    for (const user of users) await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });

    const opened = await eventually(async () => {
      const breaker = await breakerOf(app.id);
      return breaker.state !== "CLOSED" && breaker;
    }, 20_000);
    expect(opened.operations).toBe(50);
    expect(opened.failures).toBeGreaterThan(20);
    expect(opened.settings).toEqual({ failureRate: 0.4, minOperations: 50, probeMs: 300 });

    // While open, nothing new is sent (beyond a probe now and then) and no task gives up.
    const sentAtOpen = (await scim.state()).requests.length;
    await sleep(400);
    const sentWhileOpen = (await scim.state()).requests.length - sentAtOpen;
    expect(sentWhileOpen).toBeLessThanOrEqual(6);
    expect(await tasksOf(app.id, "FAILED")).toEqual([]);
    expect((await tasksOf(app.id)).length).toBe(30);
    const log = (await api("GET", `/api/v1/logs?filter=${encodeURIComponent('eventType eq "system.provisioning.circuit_breaker.open"')}`))
      .body;
    expect(log.some((e: any) => e.target.some((t: any) => t.id === app.id) && e.severity === "WARN")).toBe(true);

    await scim.clearFaults();
    for (const user of users)
      await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED" && u.syncState === "SYNCHRONIZED", "provisioned after recovery");
    expect((await breakerOf(app.id)).state).toBe("CLOSED");
    const downstream = (await scim.state()).users;
    expect(downstream).toHaveLength(30);
    expect(new Set(downstream.map((u: any) => u.userName)).size).toBe(30);
    expect(await tasksOf(app.id)).toEqual([]);
  }, 60_000);

  it("can be closed by an administrator", async () => {
    const { app, scim } = await provisionedApp();
    await scim.fault({ kind: "500", times: 100_000 });
    for (let i = 0; i < 30; i++) await api("POST", `/api/v1/apps/${app.id}/users`, { id: (await createUser()).id });
    await eventually(async () => (await breakerOf(app.id)).state !== "CLOSED", 20_000);
    const reset = await api("POST", `/api/v1/apps/${app.id}/provisioning/circuit-breaker/reset`);
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ state: "CLOSED", operations: 0, failures: 0 });
    await scim.clearFaults();
    await eventually(async () => (await tasksOf(app.id)).length === 0, 20_000, "queue drained");
  }, 60_000);
});

describe("outbound deactivation threshold", () => {
  async function groupOfProvisionedMembers(count: number) {
    const { app, scim } = await provisionedApp();
    const group = await createGroup();
    const members = [];
    for (let i = 0; i < count; i++) {
      const user = await createUser();
      await api("PUT", `/api/v1/groups/${group.id}/users/${user.id}`);
      members.push(user);
    }
    await api("PUT", `/api/v1/apps/${app.id}/groups/${group.id}`);
    for (const user of members) await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED", "provisioned");
    return { app, scim, group, members };
  }
  const activeDownstream = async (scim: Awaited<ReturnType<typeof provisionedApp>>["scim"]) =>
    (await scim.state()).users.filter((u: any) => u.active).length;

  it("holds a change that would deactivate more accounts than the threshold, then runs it when released", async () => {
    const { app, scim, group, members } = await groupOfProvisionedMembers(25);
    expect(await activeDownstream(scim)).toBe(25);

    expect((await api("DELETE", `/api/v1/apps/${app.id}/groups/${group.id}`)).status).toBe(204);
    // Okta's side changes at once: the assignments are gone.
    expect((await api("GET", `/api/v1/apps/${app.id}/users`)).body).toEqual([]);
    const holds = await eventually(async () => {
      const list = (await api("GET", `/api/v1/apps/${app.id}/provisioning/deactivation-holds`)).body;
      return list.length > 0 && list;
    });
    expect(holds).toEqual([expect.objectContaining({ status: "HELD", deactivations: 25 })]);
    await sleep(300);
    expect(await activeDownstream(scim)).toBe(25);
    expect((await tasksOf(app.id)).map((t) => t.status)).toEqual(Array(25).fill("HELD"));
    const logged = (await api("GET", `/api/v1/logs?filter=${encodeURIComponent('eventType eq "system.provisioning.deactivations.hold"')}`))
      .body;
    expect(logged.some((e: any) => e.debugContext.debugData.holdId === holds[0].id && e.debugContext.debugData.count === 25)).toBe(true);

    const released = await api("POST", `/api/v1/apps/${app.id}/provisioning/deactivation-holds/${holds[0].id}/release`);
    expect(released.body).toMatchObject({ id: holds[0].id, status: "RELEASED", deactivations: 25 });
    await eventually(async () => (await activeDownstream(scim)) === 0, 20_000, "deactivated downstream");
    expect((await scim.state()).users).toHaveLength(members.length);
    expect((await api("GET", `/api/v1/apps/${app.id}/provisioning/deactivation-holds`)).body).toEqual([]);
  }, 90_000);

  it("lets a change within the threshold run, and discarding a hold keeps the accounts active", async () => {
    const small = await groupOfProvisionedMembers(5);
    await api("DELETE", `/api/v1/apps/${small.app.id}/groups/${small.group.id}`);
    await eventually(async () => (await activeDownstream(small.scim)) === 0, 20_000, "small change deactivated");
    expect((await api("GET", `/api/v1/apps/${small.app.id}/provisioning/deactivation-holds`)).body).toEqual([]);

    const big = await groupOfProvisionedMembers(21);
    await api("DELETE", `/api/v1/groups/${big.group.id}`);
    const [hold] = await eventually(async () => {
      const list = (await api("GET", `/api/v1/apps/${big.app.id}/provisioning/deactivation-holds`)).body;
      return list.length > 0 && list;
    });
    expect(hold.deactivations).toBe(21);
    // The administrator sees the hold in the console and keeps the accounts.
    const browser = new ConsoleClient();
    await browser.signIn();
    const page = textOf((await browser.get(`/admin/apps/${big.app.id}/provisioning`)).html);
    expect(page).toContain("Warning: 21 downstream deactivations are held for review.");
    const kept = await browser.submit(`/admin/apps/${big.app.id}/provisioning/holds/${hold.id}/discard`);
    expect(textOf(kept.html)).toContain("Done: The 21 accounts stay active in the app.");
    expect(await tasksOf(big.app.id)).toEqual([]);
    await sleep(300);
    expect(await activeDownstream(big.scim)).toBe(21);
    expect((await api("POST", `/api/v1/apps/${big.app.id}/provisioning/deactivation-holds/${hold.id}/release`)).status).toBe(404);
  }, 90_000);
});

describe("deleting an app while its outbound queue drains", () => {
  it("stops the drain: nothing more is sent downstream and nothing is recorded for the deleted app", async () => {
    const { app, scim } = await provisionedApp();
    // Every downstream answer takes 300 ms, so the drain is mid-way when the app is deleted.
    await scim.fault({ kind: "delay", delayMs: 300, times: 10_000 });
    const group = await createGroup();
    const ids = await seedUsers(120, "DelD");
    await seedMemberships(group.id, ids);
    expect((await api("PUT", `/api/v1/apps/${app.id}/groups/${group.id}`, {})).status).toBe(200);
    await eventually(async () => (await scim.state()).requests.length >= 10, 20_000, "the drain to be under way");

    expect((await api("POST", `/api/v1/apps/${app.id}/lifecycle/deactivate`)).status).toBe(200);
    expect((await api("DELETE", `/api/v1/apps/${app.id}`)).status).toBe(204);
    const atDeletion = (await scim.state()).requests.length;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const after = (await scim.state()).requests.length;
    // Calls already in flight finish (8 at most, and each user's create is a search then a POST).
    expect(after - atDeletion).toBeLessThanOrEqual(16);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await scim.state()).requests.length).toBe(after);
    const tasks = await runInDurableObject(
      env.APP_COORDINATOR.getByName(app.id),
      async (_instance, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM tasks").one().n,
    );
    expect(tasks).toBe(0);
    expect(await env.APP_COORDINATOR.getByName(app.id).tasks()).toEqual([]);
    console.log(
      `delete mid-drain: ${atDeletion} downstream requests when deleted, ${after - atDeletion} more in flight, none after; 0 tasks left of 120 users`,
    );
  }, 60_000);
});
