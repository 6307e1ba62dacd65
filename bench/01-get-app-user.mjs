// Scenario 1, reads: GET /api/v1/apps/{appId}/users/{userId} at 10 concurrent clients, load from
// autocannon in its own process. Baseline: the no-op route of the baseline Worker, same runtime,
// same load, runs interleaved with provisio's. Target: >= 600 req/s, p99 <= 40 ms.
import { parseArgs } from "node:util";
import {
  CORES,
  TOKEN,
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
  createBookmarkApp,
} from "./lib/harness.mjs";
import { autocannon } from "./lib/autocannon.mjs";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" }, seconds: { type: "string", default: "10" } } });
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);

await main(async (cleanup) => {
  const state = freshState("reads");
  cleanup(() => dropState(state));
  // Rate limiting stays on (the token's gate is asked on every request) with a limit the run cannot reach.
  const provisio = await startProvisio(state, { RATE_LIMIT_PER_MINUTE: "100000000" });
  cleanup(provisio.stop);
  const baseline = await startBaseline(freshState("reads-baseline"));
  cleanup(baseline.stop);

  const { api } = provisio;
  const app = await createBookmarkApp(api, "Bench reads");
  const user = await must(
    api("POST", "/api/v1/users?activate=true", {
      profile: { firstName: "Ada", lastName: "Lovelace", email: "ada@example.com", login: "ada@example.com" },
    }),
    200,
    "create user",
  );
  await must(api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id, scope: "USER" }), 200, "assign");
  const target = `${provisio.url}/api/v1/apps/${app.id}/users/${user.id}`;
  const auth = { Authorization: `SSWS ${TOKEN}`, Accept: "application/json" };
  const check = await fetch(target, { headers: auth });
  if (check.status !== 200 || (await check.json()).id !== user.id) throw new Error("GET app user does not answer the user");

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
  summary("get-app-user", round(rps, 0), "req/s", round(rps / baseRps), {
    p99ms: p99,
    p50ms: median(ours.map((r) => r.p50)),
    baselineRps: round(baseRps, 0),
    baselineP99ms: median(base.map((r) => r.p99)),
    runs: RUNS,
    seconds: SECONDS,
    connections: 10,
    targets: { rps: 600, p99ms: 40 },
    met: rps >= 600 && p99 <= 40,
  });
  console.log(`get-app-user-p99: ${p99} ms (${round(p99 / median(base.map((r) => r.p99)))} x baseline) on ${CORES} cores`);
});
