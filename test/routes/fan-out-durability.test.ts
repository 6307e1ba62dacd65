import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createApp, createGroup } from "../helpers/api";
import { seedMemberships, seedUsers, settle } from "../helpers/seed";

// Issue 8: a group fan-out interrupted by evictions of the app's coordinator, or by failing
// alarm invocations, ends exactly as an uninterrupted one: same app users, same profiles, no
// duplicate rows, and the job completes. Each test runs the same fan-out on a twin app that
// nothing interrupts and compares the two.

const MEMBERS = 12_000;

/** An app with a custom attribute mapped from the Okta profile and one group-settable attribute. */
async function appWithProfiles() {
  const app = await createApp();
  const schema = await api("POST", `/api/v1/meta/schemas/apps/${app.id}/default`, {
    definitions: {
      custom: {
        properties: {
          nickName: { title: "Nickname", type: "string", scope: "SELF" },
          role: { title: "Role", type: "string", enum: ["admin", "viewer"], scope: "NONE" },
        },
      },
    },
  });
  expect(schema.status).toBe(200);
  const [mapping] = (await api("GET", `/api/v1/mappings?targetId=${app.id}`)).body;
  const mapped = await api("POST", `/api/v1/mappings/${mapping.id}`, {
    properties: { nickName: { expression: 'user.firstName + " " + user.lastName', pushStatus: "PUSH" } },
  });
  expect(mapped.status).toBe(200);
  return app;
}

/** Everything about an app's assignments but timestamps, from D1 (with a duplicate check). */
async function endState(appId: string) {
  const rows = await env.DB.prepare(
    "SELECT user_id, scope, status, sync_state, user_name, profile, overrides, external_id FROM app_users WHERE app_id = ? ORDER BY user_id",
  )
    .bind(appId)
    .all();
  const distinct = await env.DB.prepare("SELECT count(DISTINCT user_id) AS n FROM app_users WHERE app_id = ?")
    .bind(appId)
    .first<{ n: number }>();
  expect(distinct!.n).toBe(rows.results.length);
  return rows.results;
}

/** Assigns the group to both apps, the second one uninterrupted, and waits for both. */
async function twinFanOut(tag: string) {
  const ids = await seedUsers(MEMBERS, tag);
  const group = await createGroup();
  await seedMemberships(group.id, ids);
  const [subject, twin] = [await appWithProfiles(), await appWithProfiles()];
  const body = { priority: 0, profile: { role: "viewer" } };
  const put = await api("PUT", `/api/v1/apps/${twin.id}/groups/${group.id}`, body);
  expect(put.status).toBe(200);
  await settle(twin.id);
  return { ids, group, subject, twin, body };
}

const operationsOf = async (appId: string) =>
  (await api("GET", `/api/v1/apps/${appId}/assignment-operations`)).body as { id: string; done: number; total: number }[];

describe("fan-out durability", () => {
  it("ends as an uninterrupted run when the coordinator is evicted between chunks", async () => {
    const { ids, group, subject, twin, body } = await twinFanOut("DurE");
    const stub = env.APP_COORDINATOR.getByName(subject.id);
    expect((await api("PUT", `/api/v1/apps/${subject.id}/groups/${group.id}`, body)).status).toBe(200);

    // Evict as often as the job moves on, until it is done.
    const seen: { done: number; jobId: string }[] = [];
    let evictions = 0;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [job] = await operationsOf(subject.id);
      if (!job) break;
      if (seen.length === 0 || job.done !== seen[seen.length - 1].done) {
        seen.push({ done: job.done, jobId: job.id });
        if (job.done < job.total) {
          // Rejects only when the object is not running at that instant (between alarms).
          if (
            await evictDurableObject(stub).then(
              () => true,
              () => false,
            )
          )
            evictions++;
        }
      }
      if (Date.now() > deadline) throw new Error(`fan-out not finished: ${JSON.stringify(job)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // The same job went on from its stored cursor after each eviction, never from the start.
    expect(new Set(seen.map((s) => s.jobId)).size).toBe(1);
    expect(seen.map((s) => s.done)).toEqual([...seen.map((s) => s.done)].sort((a, b) => a - b));
    expect(seen[0].done).toBeLessThan(MEMBERS);
    expect(evictions).toBeGreaterThanOrEqual(1);

    const [evicted, uninterrupted] = [await endState(subject.id), await endState(twin.id)];
    expect(evicted).toHaveLength(MEMBERS);
    expect(evicted).toEqual(uninterrupted);
    expect(evicted.map((row) => row.user_id)).toEqual(ids);
    console.log(
      `fan-out durability: ${MEMBERS}-member group, ${evictions} evictions of the coordinator mid-way (progress seen: ${seen.map((s) => s.done).join(" -> ")}); ` +
        `end state identical to an uninterrupted run, ${evicted.length} app users, 0 duplicates`,
    );
  }, 120_000);

  it("ends as an uninterrupted run when an alarm step fails and an alarm invocation throws mid-way", async () => {
    const { ids, group, subject, twin, body } = await twinFanOut("DurF");
    const stub = env.APP_COORDINATOR.getByName(subject.id);
    expect((await api("PUT", `/api/v1/apps/${subject.id}/groups/${group.id}`, body)).status).toBe(200);

    // Two faults, each once, installed on the live object (no production code changes):
    // 1. a chunk's D1 writes commit, then saving the job's cursor fails: the alarm step fails,
    //    the chunk is run again from the old cursor (reconciling is idempotent);
    // 2. an alarm invocation itself throws (setting the next alarm fails): the runtime retries it.
    const faults = { cursorSave: 0, alarmThrew: 0 };
    await runInDurableObject(stub, async (_instance, state) => {
      const storage = state.storage as DurableObjectStorage & Record<string, unknown>;
      const put = storage.put.bind(storage) as (...args: unknown[]) => Promise<void>;
      const setAlarm = storage.setAlarm.bind(storage);
      storage.put = (async (...args: unknown[]) => {
        if (args[0] === "fan-out-jobs" && faults.cursorSave === 0) {
          faults.cursorSave++;
          throw new Error("injected: saving the fan-out cursor failed");
        }
        return put(...args);
      }) as DurableObjectStorage["put"];
      storage.setAlarm = (async (...args: Parameters<DurableObjectStorage["setAlarm"]>) => {
        if (faults.cursorSave > 0 && faults.alarmThrew === 0) {
          faults.alarmThrew++;
          throw new Error("injected: setting the next alarm failed");
        }
        return setAlarm(...args);
      }) as DurableObjectStorage["setAlarm"];
    });

    // Nothing else is done: the alarms run on their own, the runtime retries the invocation
    // that threw, and that retry runs the failed chunk again from the stored cursor.
    const started = Date.now();
    let threwAt = 0;
    let retryMs = 0;
    for (let last = -1; ;) {
      const [job] = await operationsOf(subject.id);
      if (!job) break;
      if (faults.alarmThrew && !threwAt) threwAt = Date.now();
      if (threwAt && !retryMs && last !== -1 && job.done !== last) retryMs = Date.now() - threwAt;
      last = job.done;
      if (Date.now() - started > 60_000) throw new Error(`fan-out not finished: ${JSON.stringify(job)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(faults).toEqual({ cursorSave: 1, alarmThrew: 1 });
    await settle(subject.id);

    const [retried, uninterrupted] = [await endState(subject.id), await endState(twin.id)];
    expect(retried).toHaveLength(MEMBERS);
    expect(retried).toEqual(uninterrupted);
    expect(retried.map((row) => row.user_id)).toEqual(ids);
    console.log(
      `fan-out durability: ${MEMBERS}-member group, a failed cursor save (chunk re-run) and a throwing alarm invocation mid-way, ` +
        `the runtime retried the failed invocation (progress again after ${retryMs} ms) and the job completed ${((Date.now() - started) / 1000).toFixed(1)} s after the faults were installed; end state identical to an uninterrupted run, ${retried.length} app users, 0 duplicates`,
    );
  }, 120_000);
});
