// Scenario 2, paging at scale: an app with 1,000,000 assigned users, seeded in bulk into the local
// D1 file. Times page 1 and deep pages at limit=500 (medians), walks every page by the Link
// headers, reads D1's meta.rows_read of provisio's own page query, and compares a page with the
// same keyset query on raw SQLite over the same file. Targets: page N within 1.5x of page 1, the
// full walk <= 30 s, rows read per page <= limit + 1.
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import {
  d1File,
  dropState,
  freshState,
  log,
  main,
  median,
  peakRssMiB,
  round,
  startBaseline,
  startProvisio,
  summary,
  TOKEN,
  createBookmarkApp,
} from "./lib/harness.mjs";
import { openD1, seedAppUsers, seedUsers, closeSeeded } from "./lib/seed.mjs";

const { values } = parseArgs({
  options: {
    users: { type: "string", default: "1000000" },
    samples: { type: "string", default: "15" },
    walks: { type: "string", default: "3" },
  },
});
const WALKS = Number(values.walks);
const USERS = Number(values.users);
const SAMPLES = Number(values.samples);
const LIMIT = 500;
const TAG = "pg01";

await main(async (cleanup) => {
  const state = freshState("paging");
  cleanup(() => dropState(state));
  let provisio = await startProvisio(state, { RATE_LIMIT_PER_MINUTE: "100000000" });
  const app = await createBookmarkApp(provisio.api, "Bench paging");
  await provisio.stop();

  log(`seeding ${USERS} users and app users`);
  const seedStarted = performance.now();
  const db = openD1(state);
  seedUsers(db, USERS, TAG);
  seedAppUsers(db, app.id, USERS, TAG);
  closeSeeded(db);
  log(`seeded in ${round((performance.now() - seedStarted) / 1000, 1)} s`);

  provisio = await startProvisio(state, { RATE_LIMIT_PER_MINUTE: "100000000" });
  cleanup(provisio.stop);
  const first = `${provisio.url}/api/v1/apps/${app.id}/users?limit=${LIMIT}`;
  const headers = { Authorization: `SSWS ${TOKEN}`, Accept: "application/json" };
  const fetchPage = async (url) => {
    const started = performance.now();
    const res = await fetch(url, { headers });
    const body = await res.json();
    const ms = performance.now() - started;
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
    const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get("Link") ?? "")?.[1];
    return { ms, count: body.length, next, lastId: body.at(-1)?.id };
  };

  // Full walks by the Link headers; the median of WALKS is reported.
  await fetchPage(first);
  let cursors = [];
  const walks = [];
  for (let walk = 1; walk <= WALKS; walk += 1) {
    const walkStarted = performance.now();
    cursors = [];
    let seen = 0;
    let url = first;
    while (url) {
      cursors.push(url);
      const page = await fetchPage(url);
      seen += page.count;
      url = page.next;
    }
    walks.push((performance.now() - walkStarted) / 1000);
    if (seen !== USERS) throw new Error(`walk saw ${seen} app users, expected ${USERS}`);
    log(`walk ${walk}: ${cursors.length} pages, ${seen} app users in ${round(walks.at(-1), 1)} s`);
  }
  const walkSeconds = median(walks);

  // Page 1 and deep pages, sampled alternately so that drift hits both alike.
  const deep = { "page 2": cursors[1], "middle page": cursors[Math.floor(cursors.length / 2)], "last page": cursors.at(-1) };
  const samples = { "page 1": [], ...Object.fromEntries(Object.keys(deep).map((k) => [k, []])) };
  for (let i = 0; i < SAMPLES; i += 1) {
    samples["page 1"].push((await fetchPage(first)).ms);
    for (const [name, at] of Object.entries(deep)) samples[name].push((await fetchPage(at)).ms);
  }
  const medians = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, round(median(v), 1)]));
  const worstDeep = Math.max(...Object.keys(deep).map((k) => medians[k]));
  const deepRatio = round(worstDeep / medians["page 1"]);
  log("page medians (ms):", JSON.stringify(medians));
  const rss = peakRssMiB(provisio.pid);
  await provisio.stop();

  // Baseline: the same keyset page on raw SQLite over the same file.
  const raw = new DatabaseSync(d1File(state), { readOnly: true });
  const page = raw.prepare(
    `SELECT a.*, u.* FROM app_users a JOIN users u ON u.id = a.user_id WHERE a.app_id = ? AND a.user_id > ? ORDER BY a.user_id LIMIT ?`,
  );
  const rawMs = { first: [], last: [] };
  const lastAfter = `00u${TAG}${String(USERS - LIMIT).padStart(13, "0")}`;
  for (let i = 0; i < SAMPLES; i += 1) {
    let t = performance.now();
    page.all(app.id, "", LIMIT + 1);
    rawMs.first.push(performance.now() - t);
    t = performance.now();
    page.all(app.id, lastAfter, LIMIT + 1);
    rawMs.last.push(performance.now() - t);
  }
  raw.close();
  const rawPage = median([...rawMs.first, ...rawMs.last]);

  // D1's own count of rows read by provisio's page query (the baseline Worker runs listAppUsers).
  const probe = await startBaseline(state);
  cleanup(probe.stop);
  const reads = {};
  for (const [name, after] of [
    ["page 1", ""],
    ["last page", lastAfter],
  ]) {
    const res = await fetch(`${probe.url}/rows-read?app=${app.id}&limit=${LIMIT}${after ? `&after=${after}` : ""}`, { method: "POST" });
    const body = await res.json();
    reads[name] = body.statements.map((s) => s.rowsRead);
  }
  await probe.stop();
  const maxRead = Math.max(...Object.values(reads).flat());
  log("rows_read per statement:", JSON.stringify(reads));

  summary("paging-full-walk", round(walkSeconds, 1), "s", round(walkSeconds / ((rawPage * cursors.length) / 1000)), {
    users: USERS,
    pages: cursors.length,
    walksSeconds: walks.map((w) => round(w, 1)),
    pageMedianMs: medians,
    deepToFirst: deepRatio,
    rawSqlitePageMs: round(rawPage, 2),
    rowsReadPerPage: reads,
    peakRssMiB: rss,
    targets: { walkSeconds: 30, deepToFirst: 1.5, rowsRead: LIMIT + 1 },
    met: walkSeconds <= 30 && deepRatio <= 1.5 && maxRead <= LIMIT + 1,
  });
  console.log(`paging-page-n: ${worstDeep} ms (${deepRatio} x page 1; ${round(worstDeep / rawPage)} x raw SQLite page)`);
  console.log(`paging-rows-read: ${maxRead} rows per page query (limit ${LIMIT}); workerd peak RSS ${rss} MiB`);
});
