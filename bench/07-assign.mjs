// Scenario 7, writes: POST /api/v1/apps/{appId}/users (a direct assignment of a new user each
// time) from 10 concurrent clients, each on its own app (10 apps, so 10 coordinators), load from
// Node in this process. Baseline: the no-op route of the baseline Worker under the same load
// generator, interleaved. Targets: >= 0.3 x the no-op's requests per second, p99 <= 100 ms.
import { parseArgs } from "node:util";
import {
  TOKEN,
  closedLoop,
  createBookmarkApp,
  dropState,
  freshState,
  log,
  main,
  median,
  must,
  round,
  startBaseline,
  startProvisio,
  summary,
} from "./lib/harness.mjs";
import { closeSeeded, openD1, seedUsers, userId } from "./lib/seed.mjs";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" }, seconds: { type: "string", default: "10" } } });
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
const CLIENTS = 10;
const PER_CLIENT = 20_000; // more users than a run can assign, so every request is a new assignment

await main(async (cleanup) => {
  const state = freshState("assign");
  cleanup(() => dropState(state));
  let provisio = await startProvisio(state);
  const apps = [];
  for (let i = 0; i < CLIENTS; i += 1) apps.push(await createBookmarkApp(provisio.api, `Bench assign ${i}`));
  await provisio.stop();
  const db = openD1(state);
  seedUsers(db, CLIENTS * PER_CLIENT, "as01");
  closeSeeded(db);
  provisio = await startProvisio(state, { RATE_LIMIT_PER_MINUTE: "100000000" });
  cleanup(provisio.stop);
  const baseline = await startBaseline(freshState("assign-baseline"));
  cleanup(baseline.stop);

  const next = Array(CLIENTS).fill(0);
  const assign = (client) => {
    const n = client * PER_CLIENT + (next[client] += 1);
    return [
      `${provisio.url}/api/v1/apps/${apps[client].id}/users`,
      {
        method: "POST",
        headers: { Authorization: `SSWS ${TOKEN}`, Accept: "application/json", "Content-Type": "application/json" },
        body: JSON.stringify({ id: userId("as01", n), scope: "USER" }),
      },
    ];
  };
  await must(provisio.api("GET", `/api/v1/apps/${apps[0].id}/users?limit=1`), 200, "warm-up");
  log("warm-up");
  await closedLoop(assign, { concurrency: CLIENTS, seconds: 3 });
  await closedLoop(() => [`${baseline.url}/noop`, {}], { concurrency: CLIENTS, seconds: 3 });
  const ours = [];
  const base = [];
  for (let run = 1; run <= RUNS; run += 1) {
    ours.push(await closedLoop(assign, { concurrency: CLIENTS, seconds: SECONDS }));
    base.push(await closedLoop(() => [`${baseline.url}/noop`, {}], { concurrency: CLIENTS, seconds: SECONDS }));
    log(
      `run ${run}: provisio ${round(ours.at(-1).rps, 1)} req/s p99 ${round(ours.at(-1).p99, 0)} ms; no-op ${round(base.at(-1).rps, 1)} req/s p99 ${round(base.at(-1).p99, 0)} ms`,
    );
  }
  const assigned = next.reduce((a, b) => a + b, 0);
  let listed = 0;
  for (const app of apps) listed += (await must(provisio.api("GET", `/api/v1/apps/${app.id}/users?limit=500`), 200, "list")).length;
  if (listed < Math.min(assigned, CLIENTS * 500)) throw new Error(`only ${listed} assignments listed`);
  const rps = median(ours.map((r) => r.rps));
  const baseRps = median(base.map((r) => r.rps));
  const p99 = median(ours.map((r) => r.p99));
  summary("assign-user", round(rps, 0), "req/s", round(rps / baseRps), {
    p99ms: round(p99, 0),
    p50ms: round(median(ours.map((r) => r.p50)), 0),
    baselineRps: round(baseRps, 0),
    baselineP99ms: round(median(base.map((r) => r.p99)), 0),
    assignments: assigned,
    runs: RUNS,
    targets: { ratio: 0.3, p99ms: 100 },
    met: rps / baseRps >= 0.3 && p99 <= 100,
  });
});
