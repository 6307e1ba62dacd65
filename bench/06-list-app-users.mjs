// Scenario 6, list reads: GET /api/v1/apps/{appId}/users?limit=200 (the first page of an app with
// 1,000 assignments) at 10 concurrent clients, load from autocannon in its own process. Baseline:
// the no-op route of the baseline Worker, same runtime and load, runs interleaved with provisio's.
// Target: >= 0.4 x the no-op's requests per second.
import { parseArgs } from "node:util";
import {
  TOKEN,
  createBookmarkApp,
  dropState,
  freshState,
  log,
  main,
  median,
  round,
  startBaseline,
  startProvisio,
  summary,
} from "./lib/harness.mjs";
import { autocannon } from "./lib/autocannon.mjs";
import { closeSeeded, openD1, seedAppUsers, seedUsers } from "./lib/seed.mjs";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" }, seconds: { type: "string", default: "10" } } });
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);

await main(async (cleanup) => {
  const state = freshState("list");
  cleanup(() => dropState(state));
  let provisio = await startProvisio(state);
  const app = await createBookmarkApp(provisio.api, "Bench list");
  await provisio.stop();
  const db = openD1(state);
  seedUsers(db, 1_000, "ls01");
  seedAppUsers(db, app.id, 1_000, "ls01");
  closeSeeded(db);
  provisio = await startProvisio(state, { RATE_LIMIT_PER_MINUTE: "100000000" });
  cleanup(provisio.stop);
  const baseline = await startBaseline(freshState("list-baseline"));
  cleanup(baseline.stop);

  const target = `${provisio.url}/api/v1/apps/${app.id}/users?limit=200`;
  const auth = { Authorization: `SSWS ${TOKEN}`, Accept: "application/json" };
  const check = await fetch(target, { headers: auth });
  if (check.status !== 200 || (await check.json()).length !== 200) throw new Error("the page does not hold 200 app users");

  log("warm-up");
  autocannon(target, auth, 3);
  autocannon(`${baseline.url}/noop`, {}, 3);
  const ours = [];
  const base = [];
  for (let run = 1; run <= RUNS; run += 1) {
    ours.push(autocannon(target, auth, SECONDS));
    base.push(autocannon(`${baseline.url}/noop`, {}, SECONDS));
    log(
      `run ${run}: provisio ${round(ours.at(-1).rps, 1)} req/s p99 ${ours.at(-1).p99} ms; no-op ${round(base.at(-1).rps, 1)} req/s p99 ${base.at(-1).p99} ms`,
    );
  }
  const rps = median(ours.map((r) => r.rps));
  const baseRps = median(base.map((r) => r.rps));
  const p99 = median(ours.map((r) => r.p99));
  summary("list-app-users", round(rps, 0), "req/s", round(rps / baseRps), {
    p99ms: p99,
    p50ms: median(ours.map((r) => r.p50)),
    baselineRps: round(baseRps, 0),
    baselineP99ms: median(base.map((r) => r.p99)),
    runs: RUNS,
    targets: { ratio: 0.4 },
    met: rps / baseRps >= 0.4,
  });
});
