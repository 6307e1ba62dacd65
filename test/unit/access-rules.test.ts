import { describe, expect, it } from "vitest";
import { clientAddressKey, familyOf, limitsFrom, take, type Window } from "../../src/access/rate-limits";
import { judgeToken, newTokenValue, TOKEN_WINDOW_MS, useToRecord, type TokenRecord } from "../../src/domain/api-tokens";

describe("rate-limit rules", () => {
  it("puts every path in Okta's endpoint families by longest prefix", () => {
    expect(
      [
        "/api/v1/apps",
        "/api/v1/apps/0oa1/users/00u1",
        "/api/v1/users",
        "/api/v1/users/x/groups",
        "/api/v1/groups/00g1",
        "/api/v1/logs",
      ].map(familyOf),
    ).toEqual(["apps", "apps", "users", "users", "groups", "logs"]);
    expect(
      ["/api/v1/appsx", "/api/v1/mappings", "/api/v1/api-tokens/current", "/api/v1/meta/schemas/apps/0oa1/default"].map(familyOf),
    ).toEqual(["other", "other", "other", "other"]);
  });

  it("reads limits from the variables, with defaults for what is missing or invalid", () => {
    expect(limitsFrom({})).toEqual({
      windowMs: 60_000,
      perFamily: { apps: 6000, users: 6000, groups: 6000, logs: 6000, other: 6000 },
      authFailures: 30,
      authFailureLogs: 600,
    });
    const custom = limitsFrom({
      RATE_LIMIT_PER_MINUTE: "100",
      RATE_LIMIT_OVERRIDES: "logs=20, apps = 50",
      RATE_LIMIT_WINDOW_SECONDS: "10",
    });
    expect(custom.perFamily).toEqual({ apps: 50, users: 100, groups: 100, logs: 20, other: 100 });
    expect(custom.windowMs).toBe(10_000);
    expect(limitsFrom({ RATE_LIMIT_PER_MINUTE: "-5", RATE_LIMIT_WINDOW_SECONDS: "0" })).toMatchObject({
      windowMs: 1000,
      perFamily: { apps: 6000 },
    });
  });

  it("counts in fixed windows that start with the first request, and does not count refusals", () => {
    const windows = new Map<string, Window>();
    const at = 1_000_000_500;
    expect(take(windows, "k", 2, 60_000, at)).toEqual({ limit: 2, remaining: 1, reset: 1_000_061, exceeded: false });
    expect(take(windows, "k", 2, 60_000, at + 10)).toMatchObject({ remaining: 0, exceeded: false });
    expect(take(windows, "k", 2, 60_000, at + 20)).toMatchObject({ remaining: 0, exceeded: true, reset: 1_000_061 });
    expect(windows.get("k")!.count).toBe(2);
    expect(take(windows, "k", 2, 60_000, at + 60_000)).toEqual({ limit: 2, remaining: 1, reset: 1_000_121, exceeded: false });
    expect(take(windows, "other", 2, 60_000, at + 60_000).remaining).toBe(1);
  });

  it("counts failed authentications by address, IPv6 by /64", () => {
    expect(clientAddressKey("203.0.113.5")).toBe("203.0.113.5");
    expect(clientAddressKey("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2::/64");
    expect(clientAddressKey("2001:DB8:1:2::9")).toBe("2001:db8:1:2::/64");
    expect(clientAddressKey("2001:db8::1")).toBe("2001:db8::/64");
    expect(clientAddressKey(undefined)).toBe("unknown");
  });
});

describe("API token rules", () => {
  const now = Date.parse("2026-03-01T00:00:00Z");
  const record = (changes: Partial<TokenRecord> = {}): TokenRecord => ({
    id: "00T1",
    userId: null,
    bootstrap: false,
    status: "ACTIVE",
    lastUsed: null,
    expiresAt: new Date(now + 1000),
    ...changes,
  });

  it("lets in active, unexpired tokens and says why others are refused", () => {
    expect(judgeToken(record(), false, now)).toEqual({ ok: true, tokenId: "00T1", userId: null });
    expect(judgeToken(undefined, false, now)).toEqual({ ok: false, reason: "unknown" });
    expect(judgeToken(record({ status: "REVOKED" }), false, now)).toMatchObject({ ok: false, reason: "revoked", tokenId: "00T1" });
    expect(judgeToken(record({ expiresAt: new Date(now) }), false, now)).toMatchObject({ ok: false, reason: "expired" });
  });

  it("never expires the configured bootstrap token, and refuses one that was rotated out", () => {
    const bootstrap = record({ bootstrap: true, expiresAt: null });
    expect(judgeToken(bootstrap, true, now).ok).toBe(true);
    expect(judgeToken(bootstrap, false, now)).toMatchObject({ ok: false, reason: "rotated" });
  });

  it("renews the sliding window at most once an hour", () => {
    expect(useToRecord(record(), now)).toEqual({ lastUsed: new Date(now), expiresAt: new Date(now + TOKEN_WINDOW_MS) });
    expect(useToRecord(record({ lastUsed: new Date(now - 59 * 60_000) }), now)).toBeUndefined();
    expect(useToRecord(record({ lastUsed: new Date(now - 61 * 60_000) }), now)).toBeDefined();
    expect(useToRecord(record({ bootstrap: true }), now)).toEqual({ lastUsed: new Date(now), expiresAt: null });
  });

  it("mints unpredictable Okta-shaped values", () => {
    const values = new Set(Array.from({ length: 100 }, newTokenValue));
    expect(values.size).toBe(100);
    for (const value of values) expect(value).toMatch(/^00[A-Za-z0-9_-]{40}$/);
  });
});
