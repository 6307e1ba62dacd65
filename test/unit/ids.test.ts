import { describe, expect, it } from "vitest";
import { encodeTime, looksLikeId, newId } from "../../src/domain/ids";

describe("Okta-style ids", () => {
  it("are 20 base62 characters with the type prefix", () => {
    for (const prefix of ["00u", "00g", "0oa"] as const) {
      const id = newId(prefix);
      expect(id).toMatch(new RegExp(`^${prefix}[0-9A-Za-z]{17}$`));
      expect(looksLikeId(id, prefix)).toBe(true);
    }
    expect(looksLikeId("00u-short", "00u")).toBe(false);
  });

  it("sort by creation time under SQLite's binary collation", () => {
    const times = [0, 1, 61, 62, 3843, 1_700_000_000_000, 1_700_000_000_001, 2_000_000_000_000];
    const ids = times.map((t) => newId("00u", t));
    expect([...ids].sort()).toEqual(ids);
    expect(encodeTime(61) < encodeTime(62)).toBe(true);
  });

  it("do not repeat", () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId("00u", 1_700_000_000_000)));
    expect(ids.size).toBe(10_000);
  });
});
