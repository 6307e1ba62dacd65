import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_dev, type Unstable_DevWorker } from "wrangler";

export const SDK_TOKEN = "node-test-token";

export interface LocalWorker {
  url: string;
  stop(): Promise<void>;
}

/**
 * Runs the Worker the way `npm start` does (wrangler dev, local D1 with the migrations
 * applied by wrangler) on a free port, with its state in a throwaway directory.
 */
export async function startLocalWorker(extraVars: Record<string, string> = {}): Promise<LocalWorker> {
  const persistTo = mkdtempSync(join(tmpdir(), "provisio-"));
  execFileSync(join("node_modules", ".bin", "wrangler"), ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo], {
    stdio: "pipe",
    env: { ...process.env, CI: "true" },
  });
  const worker: Unstable_DevWorker = await unstable_dev("src/index.ts", {
    config: "wrangler.toml",
    persistTo,
    ip: "127.0.0.1",
    port: 0,
    logLevel: "error",
    vars: { BOOTSTRAP_API_TOKEN: SDK_TOKEN, CREDENTIALS_KEY: Buffer.alloc(32, 7).toString("base64"), ...extraVars },
    experimental: { disableExperimentalWarning: true, testScheduled: true },
  });
  return {
    url: `http://${worker.address}:${worker.port}`,
    async stop() {
      await worker.stop();
      rmSync(persistTo, { recursive: true, force: true });
    },
  };
}
