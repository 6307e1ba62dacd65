import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/domain/errors";
import { parseExpression } from "../../src/domain/search-expression";
import { userFilterRules, userSearchRules } from "../../src/db/queries/search-rules";

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as DomainError).code;
  }
  return undefined;
}

describe("filter and search expressions", () => {
  it("parses and/or trees with precedence", () => {
    expect(
      parseExpression('status eq "ACTIVE" or status eq "STAGED" and lastUpdated gt "2020-01-01T00:00:00.000Z"', "filter", userFilterRules),
    ).toEqual({
      kind: "or",
      terms: [
        { kind: "cond", attr: "status", op: "eq", value: "ACTIVE" },
        {
          kind: "and",
          terms: [
            { kind: "cond", attr: "status", op: "eq", value: "STAGED" },
            { kind: "cond", attr: "lastUpdated", op: "gt", value: "2020-01-01T00:00:00.000Z" },
          ],
        },
      ],
    });
  });

  it("enforces Okta's per-parameter attribute and operator rules with E0000031", () => {
    expect(code(() => parseExpression('profile.city eq "Oslo"', "filter", userFilterRules))).toBe("E0000031");
    expect(code(() => parseExpression('status sw "ACT"', "filter", userFilterRules))).toBe("E0000031");
    expect(code(() => parseExpression('profile.city eq "Oslo"', "search", userSearchRules))).toBeUndefined();
    expect(code(() => parseExpression('profile.city co "sl"', "search", userSearchRules))).toBe("E0000031");
    expect(code(() => parseExpression('profile.firstName co "a"', "search", userSearchRules))).toBeUndefined();
    expect(code(() => parseExpression('not (status eq "ACTIVE")', "search", userSearchRules))).toBe("E0000031");
    expect(code(() => parseExpression("status eq", "filter", userFilterRules))).toBe("E0000031");
    expect(code(() => parseExpression('profile.x"; DROP TABLE users; -- eq "1"', "search", userSearchRules))).toBe("E0000031");
  });
});
