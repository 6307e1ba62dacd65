// Scenario 5, To App provisioning: 10,000 assigned users (seeded in bulk, assigned before
// provisioning was on) pushed with Provision Users to a SCIM server answering every request in
// 10 ms (bench/lib/scim-server.mjs, its own process), pacing disabled. Each create is a userName
// search then a POST. Baseline: the same number of search+POST pairs sent straight from Node
// with the same concurrency (8). A second run checks that a pacing setting is honoured.
// Targets: 10,000 creates <= 60 s, 0 duplicates; pacing within 10% of the setting.
import { parseArgs } from "node:util";
import { dropState, freshState, log, main, must, round, startProvisio, summary, waitFor, createBookmarkApp } from "./lib/harness.mjs";
import { startScim, SCIM_TOKEN } from "./lib/scim.mjs";
import { openD1, seedAppUsers, seedUsers, closeSeeded } from "./lib/seed.mjs";

const { values } = parseArgs({
  options: {
    users: { type: "string", default: "10000" },
    paced: { type: "string", default: "400" },
    rate: { type: "string", default: "40" },
  },
});
const USERS = Number(values.users);
const PACED_USERS = Number(values.paced);
const RATE = Number(values.rate);
const CONCURRENCY = 8;
const CAPABILITIES = {
  create: { lifecycleCreate: { status: "ENABLED" } },
  update: { profile: { status: "ENABLED" }, lifecycleDeactivate: { status: "ENABLED" }, password: { status: "DISABLED" } },
};

/** An app with `count` seeded assignments and a SCIM connection, ready for Provision Users. */
async function prepare(label, count, requestsPerSecond, cleanup) {
  const state = freshState(label);
  cleanup(() => dropState(state));
  const scim = await startScim({ delayMs: 10 });
  cleanup(scim.stop);
  let provisio = await startProvisio(state);
  const app = await createBookmarkApp(provisio.api, `Bench ${label}`);
  await provisio.stop();
  const db = openD1(state);
  seedUsers(db, count, "ob01");
  seedAppUsers(db, app.id, count, "ob01");
  closeSeeded(db);
  provisio = await startProvisio(state, { RATE_LIMIT_PER_MINUTE: "100000000" });
  cleanup(() => provisio.stop());
  const { api } = provisio;
  await must(
    api("POST", `/api/v1/apps/${app.id}/connections/default?activate=true`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "TOKEN", token: SCIM_TOKEN },
      pacing: { requestsPerSecond },
    }),
    200,
    "connection",
  );
  await must(api("PUT", `/api/v1/apps/${app.id}/features/USER_PROVISIONING`, CAPABILITIES), 200, "USER_PROVISIONING");
  return { api, app, scim, provisio };
}

async function provisionAll({ api, app, scim }, count) {
  const before = await scim.stats();
  const started = performance.now();
  await must(api("POST", `/api/v1/apps/${app.id}/provisioning/provision-users`), 202, "provision users");
  await waitFor("creates", async () => (await scim.stats()).creates >= count, { timeoutMs: 900_000, everyMs: 100 });
  const seconds = (performance.now() - started) / 1000;
  const stats = await scim.stats();
  return { seconds, stats, requestTimes: stats.requestTimes.slice(before.requestTimes.length) };
}

/** The same downstream work with no provisio in between: search + POST per user, 8 at a time. */
async function rawPairs(baseUrl, count) {
  const headers = { Authorization: `Bearer ${SCIM_TOKEN}`, "Content-Type": "application/scim+json" };
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let n = next++; n < count; n = next++) {
        const userName = `raw${n}@example.com`;
        await (await fetch(`${baseUrl}/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, { headers })).text();
        await (await fetch(`${baseUrl}/Users`, { method: "POST", headers, body: JSON.stringify({ userName, active: true }) })).text();
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

await main(async (cleanup) => {
  const rawScim = await startScim({ delayMs: 10 });
  cleanup(rawScim.stop);
  const rawSeconds = await rawPairs(rawScim.baseUrl, USERS);
  log(`raw: ${USERS} search+POST pairs from Node in ${round(rawSeconds, 1)} s`);

  const unpaced = await prepare("outbound", USERS, 0, cleanup);
  log(`provisioning ${USERS} users, pacing off`);
  const run = await provisionAll(unpaced, USERS);
  // Every task finished (none still queued or retrying), and each user has exactly one account.
  await waitFor(
    "no unprovisioned users left",
    async () => (await unpaced.api("GET", `/api/v1/apps/${unpaced.app.id}/provisioning/unprovisioned-users?limit=1`)).body.length === 0,
    { timeoutMs: 120_000, everyMs: 200 },
  );
  const final = await unpaced.scim.stats();
  const duplicates = final.accounts - final.distinctUserNames + final.conflicts;
  log(
    `${final.creates} creates in ${round(run.seconds, 1)} s; ${final.conflicts} 409s, ${final.accounts} accounts for ${final.distinctUserNames} userNames`,
  );
  await unpaced.provisio.stop();

  const paced = await prepare("outbound-paced", PACED_USERS, RATE, cleanup);
  log(`provisioning ${PACED_USERS} users at ${RATE} requests/s`);
  const pacedRun = await provisionAll(paced, PACED_USERS);
  const times = pacedRun.requestTimes;
  const achieved = (times.length - 1) / ((times.at(-1) - times[0]) / 1000);
  const deviation = Math.abs(achieved - RATE) / RATE;
  log(`paced: ${times.length} requests at ${round(achieved, 1)}/s (setting ${RATE}/s, ${round(deviation * 100, 1)}% off)`);

  summary("outbound-creates", round(run.seconds, 1), "s", round(run.seconds / rawSeconds), {
    users: USERS,
    creates: final.creates,
    duplicates,
    conflicts: final.conflicts,
    rawSeconds: round(rawSeconds, 1),
    pacing: { setting: RATE, achieved: round(achieved, 1), deviationPercent: round(deviation * 100, 1), requests: times.length },
    targets: { seconds: 60, duplicates: 0, pacingDeviationPercent: 10 },
    met: run.seconds <= 60 && duplicates === 0 && final.creates === USERS && deviation <= 0.1,
  });
  console.log(
    `outbound-pacing: ${round(achieved, 1)} requests/s for a setting of ${RATE}/s (${round(deviation * 100, 1)}% off); duplicates ${duplicates}`,
  );
});
