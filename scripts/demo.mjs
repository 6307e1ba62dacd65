// npm run demo: the README walkthrough as a script. It starts provisio and the SCIM demo app
// (local, throwaway state) unless --org/--scim point at running ones (e.g. `npm start`), prints
// each step, and exits non-zero as soon as a step does not do what it should.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { unstable_dev } from "wrangler";

const { values } = parseArgs({ options: { org: { type: "string" }, scim: { type: "string" }, token: { type: "string" } } });
const SCIM_TOKEN = "demo-scim-token";
const stops = [];

async function start() {
  if (values.org && values.scim) {
    const token = values.token ?? /^BOOTSTRAP_API_TOKEN=(.*)$/m.exec(readFileSync(".dev.vars", "utf8"))?.[1];
    return { org: values.org, scim: values.scim, token };
  }
  const persistTo = mkdtempSync(join(tmpdir(), "provisio-demo-"));
  stops.push(async () => rmSync(persistTo, { recursive: true, force: true }));
  execFileSync(join("node_modules", ".bin", "wrangler"), ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo], {
    stdio: "pipe",
    env: { ...process.env, CI: "true" },
  });
  const token = "demo-api-token";
  const common = { ip: "127.0.0.1", port: 0, logLevel: "error", persistTo, experimental: { disableExperimentalWarning: true } };
  const scimDemo = await unstable_dev("examples/scim-demo/src/index.ts", { ...common, config: "examples/scim-demo/wrangler.toml" });
  stops.unshift(() => scimDemo.stop());
  const provisio = await unstable_dev("src/index.ts", {
    ...common,
    config: "wrangler.toml",
    vars: { BOOTSTRAP_API_TOKEN: token, CREDENTIALS_KEY: Buffer.alloc(32, 3).toString("base64"), DOWNSTREAM_ACCESS: "local" },
  });
  stops.unshift(() => provisio.stop());
  return { org: `http://${provisio.address}:${provisio.port}`, scim: `http://${scimDemo.address}:${scimDemo.port}/scim/v2`, token };
}

/** A text progress bar: [#####.....] 60/120. */
function bar(done, total, width = 20) {
  const filled = Math.round((done / total) * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}`;
}

let step = 0;
function say(text) {
  step += 1;
  console.log(`\n${step}. ${text}`);
}
function check(condition, what, detail) {
  if (!condition) throw new Error(`${what}${detail === undefined ? "" : `: ${JSON.stringify(detail).slice(0, 400)}`}`);
  console.log(`   ok: ${what}`);
}
async function waitFor(what, probe, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) {
      console.log(`   ok: ${what}`);
      return value;
    }
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main() {
  const { org, scim, token } = await start();
  const api = async (method, path, body) => {
    const res = await fetch(`${org}${path}`, {
      method,
      headers: { Authorization: `SSWS ${token}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const downstream = async (method, path, body) => {
    const res = await fetch(`${scim}${path}`, {
      method,
      headers: { Authorization: `Bearer ${SCIM_TOKEN}`, "Content-Type": "application/scim+json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res.status === 204 ? undefined : res.json();
  };
  const downstreamUsers = async () => (await downstream("GET", "/Users?count=200")).Resources;
  console.log(`provisio at ${org}, SCIM demo app at ${scim}`);
  const stamp = Date.now().toString(36);

  say("Create a user in provisio");
  const login = `taylor.smith.${stamp}@example.com`;
  const user = await api("POST", "/api/v1/users?activate=true", {
    profile: { firstName: "Taylor", lastName: "Smith", email: login, login },
  });
  check(user.status === 200, `created ${login} (${user.body?.status})`, user.body);

  say("Search the integration catalog and add the SCIM 2.0 Test App, then connect it to the SCIM demo app");
  const found = await api("GET", "/api/v1/catalog/apps?q=scim%20bearer");
  check(found.body?.[0]?.name === "scim2testapp", `catalog: ${found.body?.[0]?.displayName}`, found.body);
  const app = await api("POST", "/api/v1/apps", {
    name: "scim2testapp",
    label: `Demo SCIM app ${stamp}`,
    signOnMode: "AUTO_LOGIN",
    settings: { app: { url: "https://example.com/login", baseUrl: scim } },
  });
  check(app.status === 200, `created app ${app.body?.id} from the catalog (${app.body?.name})`, app.body);
  const appId = app.body.id;
  const connection = await api("POST", `/api/v1/apps/${appId}/connections/default?activate=true`, {
    baseUrl: scim,
    profile: { authScheme: "TOKEN", token: SCIM_TOKEN },
  });
  check(connection.status === 200, "connection saved (the token is never shown again)", connection.body);
  const test = await api("POST", `/api/v1/apps/${appId}/connections/default/test`);
  check(test.body?.status === "SUCCESS", "Test API Credentials: SUCCESS", test.body);
  const features = await api("GET", `/api/v1/apps/${appId}/features/USER_PROVISIONING`);
  const on = (toggle) => toggle?.status === "ENABLED";
  const caps = features.body?.capabilities;
  check(
    on(caps?.create.lifecycleCreate) && on(caps?.update.profile) && on(caps?.update.lifecycleDeactivate),
    "To App: Create Users, Update User Attributes, Deactivate Users on (the template's defaults)",
    features.body,
  );

  say("Assign the app, and watch the user appear downstream");
  const assigned = await api("POST", `/api/v1/apps/${appId}/users`, { id: user.body.id, scope: "USER" });
  check(assigned.status === 200, `assigned (${assigned.body?.status}/${assigned.body?.syncState})`, assigned.body);
  await waitFor("provisioned downstream", async () => (await downstreamUsers()).find((u) => u.userName === login));
  await waitFor("app user PROVISIONED/SYNCHRONIZED", async () => {
    const au = await api("GET", `/api/v1/apps/${appId}/users/${user.body.id}`);
    return au.body?.status === "PROVISIONED" && au.body.syncState === "SYNCHRONIZED";
  });

  say("Change the user's first name, and watch it change downstream");
  await api("POST", `/api/v1/users/${user.body.id}`, { profile: { firstName: "Tay" } });
  await waitFor(
    "downstream givenName is Tay",
    async () => (await downstreamUsers()).find((u) => u.userName === login)?.name?.givenName === "Tay",
  );

  say("Unassign the app: the downstream account is deactivated, not deleted");
  const unassigned = await api("DELETE", `/api/v1/apps/${appId}/users/${user.body.id}`);
  check(unassigned.status === 204, "unassigned", unassigned.body);
  await waitFor("downstream active: false", async () => (await downstreamUsers()).find((u) => u.userName === login)?.active === false);

  say("Import users from the app (To Okta)");
  for (let i = 0; i < 120; i++) {
    await downstream("POST", "/Users", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: `imported${i}.${stamp}@example.com`,
      name: { givenName: "Imported", familyName: `User${i}` },
      emails: [{ value: `imported${i}.${stamp}@example.com`, primary: true }],
      active: true,
    });
    if ((i + 1) % 12 === 0) process.stdout.write(`   ${bar(i + 1, 120)} users created downstream\n`);
  }
  await api("PUT", `/api/v1/apps/${appId}/features/INBOUND_PROVISIONING`, {
    importRules: { userCreateAndMatch: { exactMatchCriteria: "EMAIL", autoConfirmExactMatch: true, autoConfirmNewUsers: true } },
  });
  const runImport = async () => {
    const started = await api("POST", `/api/v1/apps/${appId}/imports`, { type: "FULL" });
    check(started.status === 202, `import ${started.body?.id} started`, started.body);
    return waitFor(
      `import ${started.body.id} finished`,
      async () => {
        const s = (await api("GET", `/api/v1/apps/${appId}/imports/${started.body.id}`)).body;
        return s.status !== "RUNNING" ? s : undefined;
      },
      60_000,
    );
  };
  const first = await runImport();
  check(
    first.status === "COMPLETED" && first.counters.applied >= 120,
    `COMPLETED: ${first.counters.new} new, ${first.counters.exact} exact, ${first.counters.applied} applied`,
    first.counters,
  );

  say("Trip an import safeguard: 30 of the app's users disappear downstream (over 20%)");
  const gone = (await downstreamUsers()).filter((u) => u.userName.startsWith("imported")).slice(0, 30);
  for (const u of gone) await downstream("DELETE", `/Users/${u.id}`);
  const paused = await runImport();
  check(
    paused.status === "PAUSED_SAFEGUARD" && paused.counters.applied === 0,
    `PAUSED_SAFEGUARD before any change: ${JSON.stringify(paused.safeguard)}`,
    paused,
  );
  const roadblock = await api("GET", "/api/v1/import-roadblock");
  check(roadblock.status === 200, `roadblock raised: every import waits (level ${roadblock.body?.level})`, roadblock.body);
  const cancelled = await api("POST", "/api/v1/import-roadblock/cancel");
  check(cancelled.body?.status === "CANCELLED", "cancelled the affected import; the others resume", cancelled.body);

  say("Assign the app again, so the user can open it from My Apps, and list the user's app links");
  await api("POST", `/api/v1/apps/${appId}/users`, { id: user.body.id, scope: "USER" });
  const links = await api("GET", `/api/v1/users/${user.body.id}/appLinks`);
  check(links.status === 200 && links.body.length > 0, `${links.body?.length} app link(s)`, links.body);
  for (const link of links.body) console.log(`   ${link.sortOrder}. ${link.label} (${link.appName}): ${link.linkUrl}`);

  console.log("\nDemo complete.");
}

try {
  await main();
} catch (error) {
  console.error(`\nDemo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  for (const stop of stops) await stop().catch(() => undefined);
}
