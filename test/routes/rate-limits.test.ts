import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { tokenGate } from "../../src/access/gate-client";
import { hashToken } from "../../src/crypto/token-hash";
import { createDb } from "../../src/db/client";
import { findTokenByHash } from "../../src/db/queries/api-tokens";
import { api, createUser, unique } from "../helpers/api";
import { apiWithVars } from "../helpers/env-fetch";

// Small limits for these calls only (the test run's own default is wrangler.toml's 6000/min).
const SMALL = { RATE_LIMIT_PER_MINUTE: "3", RATE_LIMIT_WINDOW_SECONDS: "60" };

async function mintToken(): Promise<string> {
  const res = await api("POST", "/api/v1/api-tokens", { name: unique("rate ") });
  expect(res.status).toBe(201);
  return res.body.token;
}

const rate = (headers: Headers) => ({
  limit: headers.get("X-Rate-Limit-Limit"),
  remaining: headers.get("X-Rate-Limit-Remaining"),
  reset: Number(headers.get("X-Rate-Limit-Reset")),
});

describe("rate limits", () => {
  it("puts Okta's X-Rate-Limit headers and Date on every /api response", async () => {
    const res = await api("GET", "/api/v1/groups?limit=1");
    expect(res.headers.get("X-Rate-Limit-Limit")).toBe("6000");
    expect(Number(res.headers.get("X-Rate-Limit-Remaining"))).toBeLessThan(6000);
    const reset = Number(res.headers.get("X-Rate-Limit-Reset"));
    expect(reset * 1000).toBeGreaterThan(Date.now());
    expect(reset * 1000).toBeLessThanOrEqual(Date.now() + 61_000);
    expect(Date.parse(res.headers.get("Date")!)).not.toBeNaN();
    // Errors carry them too.
    const missing = await api("GET", "/api/v1/groups/00gnothere");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("X-Rate-Limit-Limit")).toBe("6000");
  });

  it("counts down, then answers 429 E0000047 with Date and Reset as the Okta SDK needs them", async () => {
    const token = await mintToken();
    const seen = [];
    for (let i = 0; i < 3; i++) {
      const res = await apiWithVars(SMALL, "GET", "/api/v1/groups?limit=1", { token });
      expect(res.status).toBe(200);
      seen.push(rate(res.headers));
    }
    expect(seen.map((r) => [r.limit, r.remaining])).toEqual([
      ["3", "2"],
      ["3", "1"],
      ["3", "0"],
    ]);
    expect(new Set(seen.map((r) => r.reset)).size).toBe(1);

    const refused = await apiWithVars(SMALL, "GET", "/api/v1/groups?limit=1", { token });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({
      errorCode: "E0000047",
      errorSummary: "API call exceeded rate limit due to too many requests.",
      errorLink: "E0000047",
      errorId: refused.headers.get("X-Okta-Request-Id"),
      errorCauses: [],
    });
    expect(rate(refused.headers)).toEqual({ limit: "3", remaining: "0", reset: seen[0].reset });
    // The SDK waits reset * 1000 - Date + 1000 ms: positive and at most a window (plus its second).
    const delay = rate(refused.headers).reset * 1000 - Date.parse(refused.headers.get("Date")!) + 1000;
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThanOrEqual(62_000);

    // Another endpoint family has its own window.
    const users = await apiWithVars(SMALL, "GET", "/api/v1/users?limit=1", { token });
    expect(users.status).toBe(200);
    expect(rate(users.headers).remaining).toBe("2");
  });

  it("gives every token its own bucket", async () => {
    const [first, second] = [await mintToken(), await mintToken()];
    for (let i = 0; i < 3; i++) expect((await apiWithVars(SMALL, "GET", "/api/v1/apps?limit=1", { token: first })).status).toBe(200);
    expect((await apiWithVars(SMALL, "GET", "/api/v1/apps?limit=1", { token: first })).status).toBe(429);
    const other = await apiWithVars(SMALL, "GET", "/api/v1/apps?limit=1", { token: second });
    expect(other.status).toBe(200);
    expect(rate(other.headers)).toMatchObject({ limit: "3", remaining: "2" });
  });

  it("keeps the windows in the token's Durable Object storage, so an eviction or deploy does not reset them", async () => {
    const token = await mintToken();
    await apiWithVars(SMALL, "GET", "/api/v1/groups?limit=1", { token });
    const refusedLater = await apiWithVars(SMALL, "GET", "/api/v1/groups?limit=1", { token });
    const stored = await runInDurableObject(tokenGate(env, await hashToken(token)), async (_instance, state) =>
      state.storage.kv.get<{ start: number; count: number }>("window:groups"),
    );
    expect(stored).toEqual({ start: expect.any(Number), count: 2 });
    expect(Math.ceil((stored!.start + 60_000) / 1000)).toBe(rate(refusedLater.headers).reset);
  });

  it("starts a new window once Reset has passed", async () => {
    const token = await mintToken();
    const vars = { RATE_LIMIT_PER_MINUTE: "2", RATE_LIMIT_WINDOW_SECONDS: "2" };
    await apiWithVars(vars, "GET", "/api/v1/logs?limit=1", { token });
    await apiWithVars(vars, "GET", "/api/v1/logs?limit=1", { token });
    const refused = await apiWithVars(vars, "GET", "/api/v1/logs?limit=1", { token });
    expect(refused.status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, rate(refused.headers).reset * 1000 - Date.now() + 50));
    const again = await apiWithVars(vars, "GET", "/api/v1/logs?limit=1", { token });
    expect(again.status).toBe(200);
    expect(rate(again.headers)).toMatchObject({ limit: "2", remaining: "1" });
    expect(rate(again.headers).reset).toBeGreaterThan(rate(refused.headers).reset);
  });

  it("applies per-family overrides, ignores invalid settings and can be turned off", async () => {
    const token = await mintToken();
    const overridden = await apiWithVars({ ...SMALL, RATE_LIMIT_OVERRIDES: "logs=1, users=5" }, "GET", "/api/v1/logs?limit=1", { token });
    expect(rate(overridden.headers).limit).toBe("1");
    const users = await apiWithVars({ ...SMALL, RATE_LIMIT_OVERRIDES: "logs=1, users=5" }, "GET", "/api/v1/users?limit=1", { token });
    expect(rate(users.headers).limit).toBe("5");
    const invalid = await apiWithVars({ RATE_LIMIT_PER_MINUTE: "lots", RATE_LIMIT_OVERRIDES: "nope=3" }, "GET", "/api/v1/groups?limit=1", {
      token,
    });
    expect(invalid.status).toBe(200);
    expect(rate(invalid.headers).limit).toBe("6000");
    const off = await apiWithVars({ RATE_LIMIT_PER_MINUTE: "0" }, "GET", "/api/v1/groups?limit=1", { token });
    expect(off.status).toBe(200);
    expect(off.headers.get("X-Rate-Limit-Limit")).toBeNull();
  });

  it("costs little per request (median of 200 GETs with and without the limiter, printed)", async () => {
    const user = await createUser();
    const token = await mintToken();
    const median = async (vars: Record<string, string>, count = 200) => {
      const times: number[] = [];
      for (let i = 0; i < count; i++) {
        const started = performance.now();
        const res = await apiWithVars(vars, "GET", `/api/v1/users/${user.id}`, { token });
        times.push(performance.now() - started);
        expect(res.status).toBe(200);
      }
      const mean = times.reduce((sum, t) => sum + t, 0) / times.length;
      times.sort((a, b) => a - b);
      return { median: times[Math.floor(count / 2)], p90: times[Math.floor(count * 0.9)], mean };
    };
    // Warm both paths, then measure them one after the other in the same run.
    await median({ RATE_LIMIT_PER_MINUTE: "100000" }, 20);
    await median({ RATE_LIMIT_PER_MINUTE: "0" }, 20);
    const limited = await median({ RATE_LIMIT_PER_MINUTE: "100000" });
    const unlimited = await median({ RATE_LIMIT_PER_MINUTE: "0" });
    console.log(
      `rate limiter overhead, 200 x GET /api/v1/users/{id}: with the limiter (AccessGate) median ${limited.median.toFixed(1)} ms, ` +
        `mean ${limited.mean.toFixed(2)} ms, p90 ${limited.p90.toFixed(1)} ms; without (token checked in D1) median ` +
        `${unlimited.median.toFixed(1)} ms, mean ${unlimited.mean.toFixed(2)} ms, p90 ${unlimited.p90.toFixed(1)} ms`,
    );
    // The two ways of checking a token on their own: one gate call against one D1 query.
    const hash = await hashToken(token);
    const alone = async (call: () => Promise<unknown>) => {
      const times: number[] = [];
      for (let i = 0; i < 200; i++) {
        const started = performance.now();
        await call();
        times.push(performance.now() - started);
      }
      return (times.reduce((sum, t) => sum + t, 0) / times.length).toFixed(2);
    };
    const gate = await alone(() =>
      tokenGate(env, hash).admit({ tokenHash: hash, bootstrap: false, family: "other", limit: 100_000, windowMs: 60_000 }),
    );
    const d1 = await alone(() => findTokenByHash(createDb(env.DB), hash));
    console.log(`token check alone, mean of 200: AccessGate.admit ${gate} ms, D1 lookup ${d1} ms`);
    // Local timings vary with the machine; the limiter must not make a request several times slower.
    expect(limited.median).toBeLessThan(unlimited.median * 3 + 5);
  }, 60_000);
});
