import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { SCOPE_MARK } from "../../src/http/auth";

describe("route scopes", () => {
  it("every endpoint declares the okta.* scope it needs", () => {
    // /openapi.json and /docs are public, like Okta's developer documentation.
    const endpoints = app.routes.filter((route) => route.method !== "ALL" && route.path.startsWith("/api/"));
    expect(endpoints.length).toBeGreaterThan(20);
    const byPath = new Map<string, string[]>();
    for (const route of app.routes) {
      const scope = (route.handler as unknown as Record<symbol, string>)[SCOPE_MARK];
      if (scope) byPath.set(`${route.method} ${route.path}`, [...(byPath.get(`${route.method} ${route.path}`) ?? []), scope]);
    }
    const undeclared = endpoints.filter((route) => !byPath.has(`${route.method} ${route.path}`));
    expect(undeclared.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    for (const route of endpoints) {
      const [scope] = byPath.get(`${route.method} ${route.path}`)!;
      const write = route.method !== "GET";
      expect(scope, `${route.method} ${route.path}`).toMatch(write ? /\.manage$/ : /\.read$/);
    }
  });
});
