// The npm registry this project is developed against serves only the Linux builds of some
// platform packages (workerd's darwin and windows binaries answer 404), so `npm install`
// leaves them out of package-lock.json and `npm ci` then refuses the lockfile ("Missing: ...
// from lock file"). This adds the missing entries, marked optional with their os/cpu, exactly
// where npm would have put them. On Linux npm skips them; elsewhere npm fetches them by version.
import { readFileSync, writeFileSync } from "node:fs";

const LOCK = "package-lock.json";
const OS = { darwin: "darwin", linux: "linux", windows: "win32", win32: "win32", freebsd: "freebsd" };
const CPU = { 64: "x64", x64: "x64", arm64: "arm64", ia32: "ia32", arm: "arm" };

function platformOf(name) {
  const tokens = name.split("/").pop().split("-");
  const os = tokens.map((t) => OS[t]).find(Boolean);
  const cpu = tokens.map((t) => CPU[t]).findLast(Boolean);
  if (!os || !cpu) throw new Error(`cannot tell the platform of ${name}; add its lock entry by hand`);
  return { os, cpu };
}

/** Where npm resolves `name` from the package at `path`: the nearest node_modules upward. */
function resolveFrom(packages, path, name) {
  let dir = path;
  for (;;) {
    const key = `${dir ? `${dir}/` : ""}node_modules/${name}`;
    if (packages[key]) return key;
    if (!dir) return undefined;
    const cut = dir.lastIndexOf("/node_modules/");
    dir = cut < 0 ? "" : dir.slice(0, cut);
  }
}

/**
 * The lock entry that serves `name@version` for the package at `path`. Platform packages are
 * pinned to their parent's exact version, so a copy of another version higher up does not count.
 */
function servedFrom(packages, path, name, version) {
  const key = resolveFrom(packages, path, name);
  if (!key) return undefined;
  const exact = !/[\^~<>=* |]/.test(version);
  return !exact || packages[key].version === version ? key : undefined;
}

const lock = JSON.parse(readFileSync(LOCK, "utf8"));
const packages = lock.packages;
const added = [];
for (const [path, meta] of Object.entries(packages)) {
  const optional = Object.entries(meta.optionalDependencies ?? {});
  for (const [name, version] of optional) {
    if (servedFrom(packages, path, name, version)) continue;
    // Put it beside a sibling platform package of the same dependent, else next to the dependent.
    const sibling = optional.map(([other, otherVersion]) => servedFrom(packages, path, other, otherVersion)).find(Boolean);
    const base = sibling ? sibling.slice(0, sibling.lastIndexOf("node_modules/")) : `${path ? `${path}/` : ""}`;
    const key = `${base}node_modules/${name}`;
    const { os, cpu } = platformOf(name);
    packages[key] = { version, cpu: [cpu], dev: meta.dev, optional: true, os: [os] };
    if (!meta.dev) delete packages[key].dev;
    added.push(`${key}@${version}`);
  }
}
if (added.length > 0) {
  lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
  writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`lockfile-platforms: added ${added.length} optional platform entries:\n  ${added.join("\n  ")}`);
}
