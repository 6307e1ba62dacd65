import { describe, expect, it } from "vitest";
import type { ClientJwk } from "../../src/oauth/client-keys";
import {
  JWKS_DEFAULT_TTL_MS,
  JWKS_MAX_TTL_MS,
  JWKS_MIN_TTL_MS,
  JWKS_MISS_REFETCH_MS,
  JWKS_STALE_IF_ERROR_MS,
  JwksCache,
  JwksUnavailable,
  type LoadedJwks,
} from "../../src/oauth/remote-jwks";

const key = (kid: string): ClientJwk => ({ kty: "EC", alg: "ES256", use: "sig", status: "ACTIVE", kid, crv: "P-256", x: "x", y: "y" });

/** A cache on a hand-moved clock, and a key set whose answers the test decides. */
function setup() {
  let now = 1_000_000;
  const cache = new JwksCache(() => now);
  let answer: LoadedJwks | Error = { keys: [key("a")] };
  let fetches = 0;
  const load = async () => {
    fetches++;
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return {
    keys: (kid?: string) => cache.keysFor("client", "https://keys.example.com/jwks", kid, load).then((keys) => keys.map((k) => k.kid)),
    advance: (ms: number) => (now += ms),
    answer: (next: LoadedJwks | Error) => (answer = next),
    fetches: () => fetches,
  };
}

describe("the jwks_uri key cache", () => {
  it("keeps keys for the default TTL without Cache-Control, then fetches again", async () => {
    const t = setup();
    expect(await t.keys("a")).toEqual(["a"]);
    t.advance(JWKS_DEFAULT_TTL_MS - 1);
    await t.keys("a");
    expect(t.fetches()).toBe(1);
    t.advance(1);
    await t.keys("a");
    expect(t.fetches()).toBe(2);
  });

  it("honours max-age only within its bounds", async () => {
    const short = setup();
    short.answer({ keys: [key("a")], maxAgeMs: 0 });
    await short.keys();
    short.advance(JWKS_MIN_TTL_MS - 1);
    await short.keys();
    expect(short.fetches()).toBe(1);

    const long = setup();
    long.answer({ keys: [key("a")], maxAgeMs: 7 * 24 * 3600_000 });
    await long.keys();
    long.advance(JWKS_MAX_TTL_MS);
    await long.keys();
    expect(long.fetches()).toBe(2);
  });

  it("fetches again once for an unknown kid, at most once per interval", async () => {
    const t = setup();
    await t.keys("a");
    t.answer({ keys: [key("b")] });
    expect(await t.keys("b")).toEqual(["b"]);
    expect(t.fetches()).toBe(2);
    expect(await t.keys("c")).toEqual(["b"]);
    expect(t.fetches()).toBe(2);
    t.advance(JWKS_MISS_REFETCH_MS);
    await t.keys("c");
    expect(t.fetches()).toBe(3);
  });

  it("keeps using keys it has for a while when a refresh fails, then says why", async () => {
    const t = setup();
    await t.keys("a");
    t.answer(new JwksUnavailable("The client's jwks_uri answered HTTP 503."));
    t.advance(JWKS_DEFAULT_TTL_MS);
    expect(await t.keys("a")).toEqual(["a"]);
    expect(t.fetches()).toBe(2);
    // Not retried on every assertion while the host fails: after the shortest TTL.
    await t.keys("a");
    expect(t.fetches()).toBe(2);
    t.advance(JWKS_MIN_TTL_MS);
    await t.keys("a");
    expect(t.fetches()).toBe(3);
    t.advance(JWKS_STALE_IF_ERROR_MS);
    await expect(t.keys("a")).rejects.toThrow("answered HTTP 503");
  });
});
