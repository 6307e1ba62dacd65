// npm run bench: every scenario in turn, each in its own process (so one's workerd and memory do
// not colour the next), then their summary lines together. Arguments after `--` go to every
// script (e.g. `npm run bench -- --runs 1`); a scenario that fails makes the run exit non-zero.
import { spawnSync } from "node:child_process";
import { cpus } from "node:os";
import { join } from "node:path";
import { ROOT } from "./lib/harness.mjs";

const SCENARIOS = [
  "01-get-app-user.mjs",
  "02-paging.mjs",
  "03-fan-out.mjs",
  "04-import.mjs",
  "05-outbound.mjs",
  "06-list-app-users.mjs",
  "07-assign.mjs",
];
const only = process.env.BENCH_ONLY?.split(",");
const lines = [];
let failed = 0;
for (const script of SCENARIOS.filter((s) => !only || only.some((o) => s.includes(o)))) {
  console.error(`\n=== ${script}`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [join(ROOT, "bench", script), ...process.argv.slice(2)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  process.stdout.write(result.stdout ?? "");
  lines.push(...(result.stdout ?? "").split("\n").filter((line) => /^[\w-]+: /.test(line)));
  if (result.status !== 0) {
    failed += 1;
    lines.push(`${script}: FAILED (exit ${result.status})`);
  }
  console.error(`=== ${script} took ${Math.round((Date.now() - started) / 1000)} s`);
}
console.log(`\n${cpus().length} cores, ${process.version}; summary:`);
for (const line of lines) console.log(`  ${line}`);
process.exitCode = failed > 0 ? 1 : 0;
