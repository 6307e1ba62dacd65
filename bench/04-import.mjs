// Scenario 4, To Okta import: 100,000 users in a SCIM app (bench/lib/scim-server.mjs, its own
// process, count=100 pages) fetched, matched, safeguard-checked and applied (all NEW, auto-
// confirmed), then the same import again with nothing changed downstream. Rows written by each
// run are counted off the D1 file. Baseline: raw SQLite inserts of the same users and app users.
// Targets: first import <= 60 s; unchanged re-run <= 20 s and 0 rows written.
import { parseArgs } from "node:util";
import {
  copyState,
  dropState,
  freshState,
  log,
  main,
  must,
  peakRssMiB,
  round,
  startProvisio,
  summary,
  waitFor,
  createBookmarkApp,
} from "./lib/harness.mjs";
import { fingerprint, rowsWritten } from "./lib/fingerprint.mjs";
import { startScim, SCIM_TOKEN } from "./lib/scim.mjs";
import { openD1, seedAppUsers, seedUsers } from "./lib/seed.mjs";

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

async function runImport(api, appId) {
  const started = performance.now();
  const session = await must(api("POST", `/api/v1/apps/${appId}/imports`, {}), 202, "start import");
  let lastPhase = "";
  const done = await waitFor(
    "import",
    async () => {
      const current = (await api("GET", `/api/v1/apps/${appId}/imports/${session.id}`)).body;
      if (current.phase !== lastPhase) log(`  ${current.phase}`);
      lastPhase = current.phase;
      return current.status !== "RUNNING" ? current : undefined;
    },
    { timeoutMs: 900_000, everyMs: 200 },
  );
  return { session: done, seconds: (performance.now() - started) / 1000 };
}

await main(async (cleanup) => {
  const state = freshState("import");
  cleanup(() => dropState(state));
  const scim = await startScim({ users: USERS });
  cleanup(scim.stop);

  // Baseline: the rows the import ends with (users and their app users), raw SQLite inserts.
  const rawState = copyState(state, "import-raw");
  cleanup(() => dropState(rawState));
  let provisio = await startProvisio(rawState);
  const rawApp = await createBookmarkApp(provisio.api, "raw");
  await provisio.stop();
  const rawDb = openD1(rawState);
  const rawStarted = performance.now();
  seedUsers(rawDb, USERS, "im01");
  seedAppUsers(rawDb, rawApp.id, USERS, "im01");
  const rawSeconds = (performance.now() - rawStarted) / 1000;
  rawDb.close();
  log(`raw SQLite: ${USERS} users + app users in ${round(rawSeconds)} s`);

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

  log(`import of ${USERS} users`);
  const first = await runImport(api, app.id);
  if (first.session.status !== "COMPLETED")
    throw new Error(`first import ended ${first.session.status}: ${JSON.stringify(first.session).slice(0, 400)}`);
  const firstRss = peakRssMiB(provisio.pid);
  log(`first import: ${round(first.seconds, 1)} s, counters ${JSON.stringify(first.session.counters)}`);
  const listed = (await must(api("GET", `/api/v1/apps/${app.id}/users?limit=1`), 200, "list")).length;
  if (listed !== 1) throw new Error("no app users after the import");
  await provisio.stop();

  const before = fingerprint(state);
  provisio = await startProvisio(state, { RATE_LIMIT_PER_MINUTE: "100000000" });
  cleanup(() => provisio.stop());
  api = provisio.api;
  log("unchanged re-run");
  const second = await runImport(api, app.id);
  if (second.session.status !== "COMPLETED") throw new Error(`re-run ended ${second.session.status}`);
  const rss = Math.max(firstRss, peakRssMiB(provisio.pid));
  await provisio.stop();
  const written = rowsWritten(before, fingerprint(state));
  const dataRows = Object.entries(written)
    .filter(([table]) => !["import_sessions", "log_events"].includes(table))
    .reduce((sum, [, n]) => sum + n, 0);
  log(
    `re-run: ${round(second.seconds, 1)} s, counters ${JSON.stringify(second.session.counters)}, rows written ${JSON.stringify(written)}`,
  );

  summary("import", round(first.seconds, 1), "s", round(first.seconds / rawSeconds), {
    users: USERS,
    rawSqliteSeconds: round(rawSeconds),
    firstCounters: first.session.counters,
    rerunSeconds: round(second.seconds, 1),
    rerunCounters: second.session.counters,
    rerunRowsWritten: written,
    peakRssMiB: rss,
    targets: { seconds: 60, rerunSeconds: 20, rerunRowsWritten: 0 },
    met: first.seconds <= 60 && second.seconds <= 20 && Object.keys(written).length === 0,
  });
  console.log(
    `import-rerun: ${round(second.seconds, 1)} s (${round(second.seconds / rawSeconds)} x baseline), rows written ${JSON.stringify(written)} (${dataRows} outside the session and System Log); workerd peak RSS ${rss} MiB`,
  );
});
