// npm start: prepare local secrets and the local D1 database, then serve the API with wrangler dev.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

const port = process.env.PORT ?? "8787";
const demoPort = process.env.DEMO_PORT ?? String(Number(port) + 1);
const devVars = resolve(".dev.vars");

function ensureDevVars() {
  const current = existsSync(devVars) ? readFileSync(devVars, "utf8") : "";
  const missing = [];
  if (!/^BOOTSTRAP_API_TOKEN=/m.test(current)) missing.push(`BOOTSTRAP_API_TOKEN=${randomBytes(24).toString("base64url")}`);
  if (!/^CREDENTIALS_KEY=/m.test(current)) missing.push(`CREDENTIALS_KEY=${randomBytes(32).toString("base64")}`);
  // Lets provisioning reach a SCIM app on this machine (http, loopback); production stays "public".
  if (!/^DOWNSTREAM_ACCESS=/m.test(current)) missing.push("DOWNSTREAM_ACCESS=local");
  if (missing.length === 0) return false;
  const header = current
    ? current.endsWith("\n")
      ? ""
      : "\n"
    : "# Local development secrets, created by `npm start`. Never commit this file.\n";
  writeFileSync(devVars, `${current}${header}${missing.join("\n")}\n`, { mode: 0o600 });
  return true;
}

function run(command, args) {
  const result = spawnSync(command, args, { stdio: "inherit", env: { ...process.env, CI: process.env.CI ?? "true" } });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const created = ensureDevVars();
run("wrangler", ["d1", "migrations", "apply", "DB", "--local"]);

console.log(`
provisio: serving the Okta-compatible API on http://localhost:${port}
  API token: BOOTSTRAP_API_TOKEN in ${devVars}${created ? " (just created)" : ""}
  try:       curl -H "Authorization: SSWS $(grep ^BOOTSTRAP_API_TOKEN= .dev.vars | cut -d= -f2-)" http://localhost:${port}/api/v1/users
  docs:      http://localhost:${port}/docs
  cron:      curl "http://localhost:${port}/__scheduled?cron=*+*+*+*+*"
  SCIM demo app to provision into: http://localhost:${demoPort}/scim/v2 (token demo-scim-token; http://localhost:${demoPort}/ shows it)
`);

// Two wrangler dev processes: the API, and the SCIM demo app on its own port (a second Worker
// run by the same wrangler would only be reachable through bindings, not over HTTP).
const children = [
  spawn("wrangler", ["dev", "--test-scheduled", "--port", port], { stdio: "inherit" }),
  spawn("wrangler", ["dev", "-c", "examples/scim-demo/wrangler.toml", "--port", demoPort, "--inspector-port", "0"], { stdio: "inherit" }),
];
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => children.forEach((child) => child.kill(signal)));
for (const child of children)
  child.on("exit", (code) => {
    children.forEach((other) => other.kill("SIGTERM"));
    process.exit(code ?? 0);
  });
