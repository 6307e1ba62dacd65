// Scenario 1, reads: GET /api/v1/apps/{appId}/users/{userId} at 10 concurrent clients, load from
// autocannon in its own process. Baseline: the no-op route of the baseline Worker, same runtime,
// same load, runs interleaved with provisio's. Target: >= 600 req/s, p99 <= 40 ms.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  CORES,
  ROOT,
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

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" }, seconds: { type: "string", default: "10" } } });
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
const CONNECTIONS = 10;

/** autocannon in a second process; its JSON report. */
function autocannon(url, headers = {}, seconds = SECONDS) {
  const args = [join(ROOT, "node_modules/autocannon/autocannon.js"), "-j", "-c", String(CONNECTIONS), "-d", String(seconds)];
  for (const [name, value] of Object.entries(headers)) args.push("-H", `${name}=${value}`);
  args.push(url);
  const report = JSON.parse(execFileSync(process.execPath, args, { encoding: "utf8", maxBuffer: 64 << 20 }));
  const non2xx = report.non2xx + report.errors + report.timeouts;
  if (non2xx > 0) throw new Error(`${url}: ${non2xx} failed responses of ${report.requests.total}`);
  return { rps: report.requests.total / report.duration, p50: report.latency.p50, p99: report.latency.p99, total: report.requests.total };
}

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
    ours.push(autocannon(target, auth));
    base.push(autocannon(`${baseline.url}/noop`));
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
    connections: CONNECTIONS,
    targets: { rps: 600, p99ms: 40 },
    met: rps >= 600 && p99 <= 40,
  });
  console.log(`get-app-user-p99: ${p99} ms (${round(p99 / median(base.map((r) => r.p99)))} x baseline) on ${CORES} cores`);
});
