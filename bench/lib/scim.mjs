// Starts bench/lib/scim-server.mjs as a separate process (a downstream app is not provisio's process).
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { ROOT } from "./harness.mjs";

export const SCIM_TOKEN = "bench-scim-token";

export async function startScim({ users = 0, delayMs = 0 } = {}) {
  const child = spawn(
    process.execPath,
    [join(ROOT, "bench/lib/scim-server.mjs"), "--users", String(users), "--delay", String(delayMs), "--token", SCIM_TOKEN],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`SCIM server exited with ${code}`)));
  });
  const { port } = JSON.parse(line);
  const base = `http://127.0.0.1:${port}`;
  return {
    baseUrl: `${base}/scim/v2`,
    stats: async () => (await fetch(`${base}/__stats`)).json(),
    stop: () => child.kill(),
  };
}
