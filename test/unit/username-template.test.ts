import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/domain/errors";
import { renderUsername, validateUsernameTemplate } from "../../src/domain/username-template";

const source = { login: "Rae.Cloud@Example.com", email: "rae@example.com", firstName: "Rae" };

describe("app username templates", () => {
  it("renders Okta's built-in templates", () => {
    expect(renderUsername("${source.login}", source)).toBe("Rae.Cloud@Example.com");
    expect(renderUsername("${source.email}", source)).toBe("rae@example.com");
    expect(renderUsername('${fn:substringBefore(source.login, "@")}', source)).toBe("Rae.Cloud");
    expect(renderUsername("${fn:toLowerCase(source.login)}", source)).toBe("rae.cloud@example.com");
    expect(renderUsername('${fn:toUpperCase(fn:substringAfter(source.email, "@"))}', source)).toBe("EXAMPLE.COM");
    expect(renderUsername("corp\\${source.firstName}", source)).toBe("corp\\Rae");
  });

  it("yields null when the attribute is missing", () => {
    expect(renderUsername("${source.samAccountName}", source)).toBeNull();
  });

  it("refuses templates it cannot evaluate with E0000001", () => {
    for (const bad of ["${fn:explode(source.login)}", "${source.login", "${user.login}", "${fn:substringBefore(source.login)}", '${"x}']) {
      expect(() => validateUsernameTemplate(bad), bad).toThrow(DomainError);
    }
  });
});
