// Scenario 4, To Okta import: 100,000 users in a SCIM app (bench/lib/scim-server.mjs, its own
// process, count=100 pages) fetched, matched, safeguard-checked and applied (all NEW, auto-
// confirmed), then the same import again with nothing changed downstream. Meanwhile the session
// and an app user are read back-to-back (latency while the import runs). Rows written by the
// re-run are counted off the D1 file; the coordinator reports the most D1 queries any one of its
// invocations made. Baseline: the Okta users and app users the import leaves, inserted by raw D1
// batched inserts (bench/baseline /insert-imported), in the same run.
// Targets: first import <= 60 s and >= 0.25 x the baseline's rows/s; unchanged re-run <= 20 s
// and <= 5 rows written; reads p99 <= 200 ms; <= 500 D1 queries in any one invocation.
import { parseArgs } from "node:util";
import {
  copyState,
  createBookmarkApp,
  dropState,
  freshState,
  log,
  main,
  must,
  peakRssMiB,
  percentile,
  round,
  startBaseline,
  startProvisio,
  summary,
} from "./lib/harness.mjs";
import { fingerprint, rowsWritten } from "./lib/fingerprint.mjs";
import { startScim, SCIM_TOKEN } from "./lib/scim.mjs";

const { values } = parseArgs({ options: { users: { type: "string", default: "100000" } } });
const USERS = Number(values.users);
const RULES = {
  exactMatchCriteria: "EMAIL",
  allowPartialMatch: false,
  autoConfirmExactMatch: true,
  autoConfirmPartialMatch: false,
  autoConfirmNewUsers: true,
  autoActivateNewUsers: true,
};

/** Runs an import to its end while reading the session and one app user back-to-back. */
async function runImport(api, appId, probeUserId) {
  const started = performance.now();
  const session = await must(api("POST", `/api/v1/apps/${appId}/imports`, {}), 202, "start import");
  const reads = { session: [], appUser: [] };
  let lastPhase = "";
  let current;
  for (;;) {
    let t = performance.now();
    current = await must(api("GET", `/api/v1/apps/${appId}/imports/${session.id}`), 200, "read session");
    reads.session.push(performance.now() - t);
    t = performance.now();
    await must(api("GET", `/api/v1/apps/${appId}/users/${probeUserId}`), 200, "read app user");
    reads.appUser.push(performance.now() - t);
    if (current.phase !== lastPhase) log(`  ${current.phase}`);
    lastPhase = current.phase;
    if (current.status !== "RUNNING") break;
    if (performance.now() - started > 900_000) throw new Error("import did not finish in 15 minutes");
    await new Promise((r) => setTimeout(r, 50));
  }
  return { session: current, seconds: (performance.now() - started) / 1000, reads };
}

const p99 = (values) => round(percentile(values, 99), 0);

await main(async (cleanup) => {
  const state = freshState("import");
  cleanup(() => dropState(state));
  const scim = await startScim({ users: USERS });
  cleanup(scim.stop);

  // Baseline: the Okta users and app users the import leaves, by raw D1 batched inserts.
  const rawState = copyState(state, "import-raw");
  cleanup(() => dropState(rawState));
  let provisio = await startProvisio(rawState);
  const rawApp = await createBookmarkApp(provisio.api, "raw");
  await provisio.stop();
  const baseline = await startBaseline(rawState);
  await fetch(`${baseline.url}/noop`);
  const rawStarted = performance.now();
  const raw = await (await fetch(`${baseline.url}/insert-imported?app=${rawApp.id}&n=${USERS}`, { method: "POST" })).json();
  const rawSeconds = (performance.now() - rawStarted) / 1000;
  await baseline.stop();
  const rawRate = raw.rows / rawSeconds;
  log(`raw D1: ${raw.rows} rows (users + app users) in ${round(rawSeconds)} s, ${round(rawRate, 0)} rows/s`);

  provisio = await startProvisio(state, { RATE_LIMIT_PER_MINUTE: "100000000" });
  let { api } = provisio;
  const app = await createBookmarkApp(api, "Bench import");
  await must(
    api("POST", `/api/v1/apps/${app.id}/connections/default?activate=true`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "TOKEN", token: SCIM_TOKEN },
    }),
    200,
    "connection",
  );
  await must(
    api("PUT", `/api/v1/apps/${app.id}/features/INBOUND_PROVISIONING`, { importRules: { userCreateAndMatch: RULES } }),
    200,
    "inbound settings",
  );
  // An assignment that exists before the import, read back while it runs.
  const probe = await must(
    api("POST", "/api/v1/users?activate=true", {
      profile: { firstName: "Probe", lastName: "Reader", email: "probe@example.org", login: "probe@example.org" },
    }),
    200,
    "probe user",
  );
  await must(api("POST", `/api/v1/apps/${app.id}/users`, { id: probe.id }), 200, "probe assignment");

  log(`import of ${USERS} users`);
  const first = await runImport(api, app.id, probe.id);
  if (first.session.status !== "COMPLETED")
    throw new Error(`first import ended ${first.session.status}: ${JSON.stringify(first.session).slice(0, 400)}`);
  const firstRss = peakRssMiB(provisio.pid);
  const firstStats = await must(api("GET", `/api/v1/apps/${app.id}/coordinator-stats`), 200, "coordinator stats");
  log(`first import: ${round(first.seconds, 1)} s, counters ${JSON.stringify(first.session.counters)}`);
  log(
    `  reads while it ran: session p99 ${p99(first.reads.session)} ms, app user p99 ${p99(first.reads.appUser)} ms (${first.reads.session.length} each)`,
  );
  log(`  coordinator: ${JSON.stringify(firstStats)}`);
  await provisio.stop();

  const before = fingerprint(state);
  provisio = await startProvisio(state, { RATE_LIMIT_PER_MINUTE: "100000000" });
  cleanup(() => provisio.stop());
  api = provisio.api;
  log("unchanged re-run");
  const second = await runImport(api, app.id, probe.id);
  if (second.session.status !== "COMPLETED") throw new Error(`re-run ended ${second.session.status}`);
  const secondStats = await must(api("GET", `/api/v1/apps/${app.id}/coordinator-stats`), 200, "coordinator stats");
  const rss = Math.max(firstRss, peakRssMiB(provisio.pid));
  await provisio.stop();
  const written = rowsWritten(before, fingerprint(state));
  const writtenTotal = Object.values(written).reduce((sum, n) => sum + n, 0);
  log(
    `re-run: ${round(second.seconds, 1)} s, counters ${JSON.stringify(second.session.counters)}, rows written ${JSON.stringify(written)}`,
  );
  log(`  coordinator: ${JSON.stringify(secondStats)}`);

  const rate = (2 * USERS) / first.seconds;
  const readsP99 = Math.max(p99(first.reads.session), p99(first.reads.appUser), p99(second.reads.session), p99(second.reads.appUser));
  const maxQueries = Math.max(firstStats.maxQueries, secondStats.maxQueries);
  summary("import", round(first.seconds, 1), "s", round(rate / rawRate), {
    users: USERS,
    rowsPerSecond: round(rate, 0),
    rawInsertRowsPerSecond: round(rawRate, 0),
    firstCounters: first.session.counters,
    rerunSeconds: round(second.seconds, 1),
    rerunCounters: second.session.counters,
    rerunRowsWritten: written,
    readsP99ms: {
      firstSession: p99(first.reads.session),
      firstAppUser: p99(first.reads.appUser),
      rerunSession: p99(second.reads.session),
      rerunAppUser: p99(second.reads.appUser),
    },
    maxQueriesPerInvocation: maxQueries,
    longestInvocationMs: Math.max(firstStats.maxDurationMs, secondStats.maxDurationMs),
    peakRssMiB: rss,
    targets: { seconds: 60, ratio: 0.25, rerunSeconds: 20, rerunRowsWritten: 5, readsP99ms: 200, maxQueriesPerInvocation: 500 },
    met: first.seconds <= 60 && rate / rawRate >= 0.25 && second.seconds <= 20 && writtenTotal <= 5 && readsP99 <= 200 && maxQueries <= 500,
  });
  console.log(
    `import-rerun: ${round(second.seconds, 1)} s, rows written ${JSON.stringify(written)} (${writtenTotal} in all); reads while importing p99 ${readsP99} ms; ` +
      `at most ${maxQueries} D1 queries in one coordinator invocation; workerd peak RSS ${rss} MiB`,
  );
});
