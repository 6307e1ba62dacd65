// Shared harness for the benchmarks: throwaway local state, provisio under `unstable_dev` (the
// same workerd + local D1 that `wrangler dev` runs), the baseline Worker, statistics, peak RSS of
// the workerd process, and the one summary line per scenario that scripts compare across runs.
import { execFileSync } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { unstable_dev } from "wrangler";

export const ROOT = resolve(import.meta.dirname, "..", "..");
export const TOKEN = "bench-api-token-0123456789";
const CREDENTIALS_KEY = Buffer.alloc(32, 7).toString("base64");
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");

/** A fresh persistence directory with provisio's D1 migrations applied. */
export function freshState(label) {
  const dir = mkdtempSync(join(tmpdir(), `provisio-bench-${label}-`));
  execFileSync(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", dir], {
    cwd: ROOT,
    stdio: "pipe",
    env: { ...process.env, CI: "true" },
  });
  return dir;
}

export function copyState(from, label) {
  const dir = mkdtempSync(join(tmpdir(), `provisio-bench-${label}-`));
  cpSync(from, dir, { recursive: true });
  return dir;
}

export function dropState(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/** The SQLite file behind local D1 in a persistence directory (seeded directly, never through the API). */
export function d1File(dir) {
  const folder = join(dir, "v3", "d1", "miniflare-D1DatabaseObject");
  const file = readdirSync(folder).find((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite");
  if (!file) throw new Error(`no D1 database in ${folder}`);
  return join(folder, file);
}

const common = (persistTo) => ({
  ip: "127.0.0.1",
  port: 0,
  logLevel: process.env.BENCH_LOG ?? "error",
  persistTo,
  // No file watching: an edit during a run must not restart the Worker under the benchmark.
  experimental: { disableExperimentalWarning: true, testScheduled: true, watch: false },
});

/** A Worker under unstable_dev on `persistTo`, with the pid of the workerd process it started. */
async function startWorker(entry, config, persistTo, extra = {}) {
  const before = new Set(workerdPids());
  const worker = await unstable_dev(join(ROOT, entry), { ...common(persistTo), ...extra, config: join(ROOT, config) });
  const pid = workerdPids().find((p) => !before.has(p));
  return { url: `http://${worker.address}:${worker.port}`, pid, stop: () => worker.stop() };
}

/** Starts provisio on a persistence directory; `vars` override wrangler.toml's [vars]. */
export async function startProvisio(persistTo, vars = {}, options = {}) {
  const worker = await startWorker("src/index.ts", "wrangler.toml", persistTo, {
    ...options,
    vars: { BOOTSTRAP_API_TOKEN: TOKEN, CREDENTIALS_KEY, DOWNSTREAM_ACCESS: "local", ...vars },
  });
  return { ...worker, api: client(worker.url) };
}

/** The baseline Worker (bench/baseline): a no-op route and raw D1 batched inserts, on its own state. */
export function startBaseline(persistTo) {
  return startWorker("bench/baseline/worker.ts", "bench/baseline/wrangler.toml", persistTo);
}

/** A small JSON client for the Okta-style API with the bench token. */
export function client(base) {
  return async function api(method, path, body) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `SSWS ${TOKEN}`, Accept: "application/json", "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
}

export async function must(promise, status, what) {
  const res = await promise;
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return res.body;
}

export async function waitFor(what, probe, { timeoutMs = 120_000, everyMs = 20 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ---- statistics ------------------------------------------------------------------------------

export function median(values) {
  return percentile(values, 50);
}

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export const round = (value, digits = 2) => Number(value.toFixed(digits));

// ---- processes -------------------------------------------------------------------------------

function workerdPids() {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "workerd";
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Peak resident set size (VmHWM) of a process, in MiB, or NaN once it has exited. */
export function peakRssMiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    return round(kb / 1024, 1);
  } catch {
    return NaN;
  }
}

// ---- reporting -------------------------------------------------------------------------------

export const CORES = cpus().length;

/**
 * Prints the scenario's one summary line, `scenario: value unit (ratio x baseline)`, and appends
 * the full record to bench/results.jsonl so runs can be compared by a script.
 */
export function summary(scenario, value, unit, ratio, details = {}) {
  const line = `${scenario}: ${value} ${unit} (${ratio} x baseline)`;
  console.log(line);
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  appendFileSync(
    join(ROOT, "bench", "results", "results.jsonl"),
    `${JSON.stringify({ at: new Date().toISOString(), cores: CORES, scenario, value, unit, ratio, ...details })}\n`,
  );
  return line;
}

export function log(...parts) {
  console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);
}

/** Runs cleanups even when the scenario fails, then exits non-zero on failure. */
export async function main(run) {
  const cleanups = [];
  try {
    await run((fn) => cleanups.unshift(fn));
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  } finally {
    for (const fn of cleanups) {
      try {
        await fn();
      } catch (error) {
        console.error("cleanup:", error);
      }
    }
  }
}

/** A bookmark app (the simplest app an assignment can target). */
export function createBookmarkApp(api, label) {
  return must(
    api("POST", "/api/v1/apps", { name: "bookmark", label, signOnMode: "BOOKMARK", settings: { app: { url: "https://example.com" } } }),
    200,
    `create app ${label}`,
  );
}

/**
 * `concurrency` clients, each sending its next request as soon as the last one answered, for
 * `seconds`; `request(client, n)` gives each request's URL and init. Latencies in ms.
 */
export async function closedLoop(request, { concurrency = 10, seconds = 10 } = {}) {
  const latencies = [];
  const started = performance.now();
  const until = started + seconds * 1000;
  let failures = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, client) => {
      for (let n = 0; performance.now() < until; n += 1) {
        const [url, init] = request(client, n);
        const t = performance.now();
        const res = await fetch(url, init);
        await res.arrayBuffer();
        latencies.push(performance.now() - t);
        if (res.status >= 300) failures += 1;
      }
    }),
  );
  const duration = (performance.now() - started) / 1000;
  if (failures > 0) throw new Error(`${failures} failed responses of ${latencies.length}`);
  return { rps: latencies.length / duration, p50: percentile(latencies, 50), p99: percentile(latencies, 99), total: latencies.length };
}
