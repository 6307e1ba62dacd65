import { describe, expect, it } from "vitest";
import { nestsDeeperThan } from "../../src/http/validation";
import { api } from "../helpers/api";

const nested = (depth: number): unknown => {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
};

describe("request body nesting", () => {
  it("measures depth without recursion, even for very deep values", () => {
    expect(nestsDeeperThan(nested(32), 32)).toBe(false);
    expect(nestsDeeperThan(nested(33), 32)).toBe(true);
    expect(nestsDeeperThan(nested(100_000), 32)).toBe(true);
    expect(nestsDeeperThan("text", 0)).toBe(false);
  });

  it("refuses a body nested deeper than 32 levels with Okta's envelope, not a 500", async () => {
    const deep = JSON.stringify({
      profile: { firstName: "A", lastName: "B", email: "d@example.com", login: "d@example.com", x: nested(5_000) },
    });
    const res = await api("POST", "/api/v1/users", deep);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ errorCode: "E0000001" });
    expect(res.body.errorCauses[0].errorSummary).toContain("nests deeper than 32 levels");
  });
});
