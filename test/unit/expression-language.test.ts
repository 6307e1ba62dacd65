import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/domain/errors";
import { evaluate, parseExpression } from "../../src/mappings/expression-language";

const user = { firstName: "Ada", lastName: "Lovelace", email: "ada@example.com", nickName: "", department: null, level: 3 };
const run = (source: string) => evaluate(parseExpression(source), user);

describe("Okta Expression Language subset", () => {
  it("evaluates attributes, literals, concatenation and the String functions", () => {
    expect(run("user.firstName")).toBe("Ada");
    expect(run('user.firstName + " " + user.lastName')).toBe("Ada Lovelace");
    expect(run("'single' + \"double\"")).toBe("singledouble");
    expect(run("String.toUpperCase(user.lastName)")).toBe("LOVELACE");
    expect(run("String.toLowerCase('ABC')")).toBe("abc");
    expect(run('String.substringBefore(user.email, "@")')).toBe("ada");
    expect(run('String.substringAfter(user.email, "@")')).toBe("example.com");
    expect(run('String.join(".", user.firstName, user.lastName)')).toBe("Ada.Lovelace");
    expect(run("user.level")).toBe(3);
    expect(run("user.missing")).toBeNull();
    expect(run("user.department + user.firstName")).toBe("Ada");
  });

  it("evaluates ternary, Elvis and comparisons", () => {
    expect(run("user.nickName ?: user.firstName")).toBe("Ada");
    expect(run('user.department ?: "none"')).toBe("none");
    expect(run('user.lastName == "Lovelace" ? "L" : "other"')).toBe("L");
    expect(run('user.lastName != "Lovelace" ? "L" : "other"')).toBe("other");
    expect(run('user.department ? "has" : "none"')).toBe("none");
    expect(run('(user.firstName + "!") ?: "x"')).toBe("Ada!");
    expect(run("user.missing == null")).toBe(true);
  });

  it("rejects anything outside the subset at parse time with E0000001", () => {
    for (const bad of [
      "Arrays.contains(user.groups, 'x')",
      "String.replace(user.email, 'a', 'b')",
      "appuser.firstName",
      "user",
      "user.a.b",
      "user.firstName +",
      "'unterminated",
      "user.firstName; drop",
      "String.toUpperCase()",
      "String.toUpperCase(user.firstName, user.lastName)",
      "1 ? 2",
      "x".repeat(2000),
    ]) {
      let error: unknown;
      try {
        parseExpression(bad);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe("E0000001");
    }
  });

  it("reads only the user's own attributes", () => {
    expect(run("user.__proto__")).toBeNull();
    expect(run("user.constructor")).toBeNull();
    expect(run("user.toString")).toBeNull();
  });
});
