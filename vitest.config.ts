import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Two projects: "workers" runs inside workerd (the Worker, its Durable Objects and D1);
// "node" drives a real `wrangler dev`-equivalent Worker from outside with the official Okta SDK.
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./drizzle");
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  BOOTSTRAP_API_TOKEN: "test-bootstrap-token",
                  // base64 of 32 bytes: a fixed key for tests only.
                  CREDENTIALS_KEY: "dGVzdC1vbmx5LWNyZWRlbnRpYWxzLWtleS0zMi1ieXQ=",
                  // The test SCIM app listens on 127.0.0.1; faults are injected with short timings.
                  DOWNSTREAM_ACCESS: "local",
                  DOWNSTREAM_TIMEOUT_MS: "1000",
                  DOWNSTREAM_RETRY_BASE_MS: "50",
                  // Short enough for a test to watch the breaker probe and close; a small deactivation
                  // threshold so a test group can exceed it.
                  CIRCUIT_BREAKER_PROBE_MS: "300",
                  DOWNSTREAM_429_DEFAULT_MS: "200",
                  DEACTIVATION_THRESHOLD: "20",
                },
              },
            }),
          ],
          test: {
            name: "workers",
            // test/bench (System Log cost per fan-out chunk) runs only when asked: BENCH=1.
            include: ["test/unit/**/*.test.ts", "test/routes/**/*.test.ts", ...(process.env.BENCH ? ["test/bench/**/*.test.ts"] : [])],
            setupFiles: ["./test/apply-migrations.ts"],
            globalSetup: ["./test/scim/global-setup.ts"],
            // The route fuzzer's seed, request count and trace switch (test/routes/fuzz.test.ts); empty = its defaults.
            provide: {
              fuzzSeed: process.env.FUZZ_SEED ?? "",
              fuzzRequests: process.env.FUZZ_REQUESTS ?? "",
              fuzzDebug: process.env.FUZZ_DEBUG ?? "",
            },
          },
        },
        {
          test: {
            name: "node",
            // test/e2e drives the admin console in Debian's Chromium (playwright-core).
            include: ["test/node/**/*.test.ts", "test/e2e/**/*.test.ts"],
            environment: "node",
            testTimeout: 60_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  };
});
