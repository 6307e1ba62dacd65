// autocannon in a second process (so the load generator does not share this one's event loop),
// 10 connections; its figures, or an error when any response failed.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./harness.mjs";

export function autocannon(url, headers = {}, seconds = 10, connections = 10) {
  const args = [join(ROOT, "node_modules/autocannon/autocannon.js"), "-j", "-c", String(connections), "-d", String(seconds)];
  for (const [name, value] of Object.entries(headers)) args.push("-H", `${name}=${value}`);
  args.push(url);
  const report = JSON.parse(execFileSync(process.execPath, args, { encoding: "utf8", maxBuffer: 64 << 20 }));
  const non2xx = report.non2xx + report.errors + report.timeouts;
  if (non2xx > 0) throw new Error(`${url}: ${non2xx} failed responses of ${report.requests.total}`);
  return { rps: report.requests.total / report.duration, p50: report.latency.p50, p99: report.latency.p99, total: report.requests.total };
}
