import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoFromMs } from "../../src/wire/common";

describe("isoFromMs", () => {
  it("gives Date#toISOString's text for any millisecond from 1970 to 9999", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (ms) => {
        expect(isoFromMs(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it("is exact at the edges: epoch, leap days, year ends, the last millisecond of 9999", () => {
    for (const text of [
      "1970-01-01T00:00:00.000Z",
      "2000-02-29T23:59:59.999Z",
      "2024-12-31T23:59:59.999Z",
      "2100-03-01T00:00:00.000Z",
      "9999-12-31T23:59:59.999Z",
    ]) {
      expect(isoFromMs(Date.parse(text))).toBe(text);
    }
  });

  it("falls back to the built-in outside that range", () => {
    expect(isoFromMs(-1)).toBe("1969-12-31T23:59:59.999Z");
    expect(isoFromMs(253_402_300_800_000)).toBe(new Date(253_402_300_800_000).toISOString());
  });
});
