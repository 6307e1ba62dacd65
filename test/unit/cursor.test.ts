import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "../../src/domain/cursor";
import { DomainError } from "../../src/domain/errors";

describe("cursor encoding", () => {
  it("round-trips sort keys through a URL-safe opaque string", () => {
    for (const key of [["00uAbc"], ["a/b+c=d", 42], ["ünïcødé ✓"]]) {
      const cursor = encodeCursor(key);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(cursor, key.length)).toEqual(key);
    }
  });

  it("rejects tampered, foreign or wrong-arity cursors with E0000029", () => {
    const good = encodeCursor(["00uAbc"]);
    for (const bad of ["", "!!!", btoa("[1]"), btoa('[2,"x"]'), btoa("{}"), good.slice(0, -3), encodeCursor(["a", "b"])]) {
      let error: unknown;
      try {
        decodeCursor(bad, 1);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe("E0000029");
    }
  });
});
