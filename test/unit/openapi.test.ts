import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { SCOPE_MARK } from "../../src/http/auth";
import { OPERATIONS } from "../../src/openapi/operations";

const toOpenApi = (path: string) => path.replace(/:(\w+)/g, "{$1}");

function servedEndpoints(): Map<string, string> {
  const scopes = new Map<string, string>();
  for (const route of app.routes) {
    if (route.method === "ALL" || !(route.path.startsWith("/api/") || route.path.startsWith("/oauth2/"))) continue;
    const key = `${route.method} ${toOpenApi(route.path)}`;
    const scope = (route.handler as unknown as Record<symbol, string>)[SCOPE_MARK];
    if (scope) scopes.set(key, scope);
    else if (!scopes.has(key)) scopes.set(key, "");
  }
  return scopes;
}

describe("OpenAPI document", () => {
  it("describes exactly the endpoints the app serves, with their scopes", () => {
    const served = servedEndpoints();
    const described = new Map(OPERATIONS.map((o) => [`${o.method} ${o.path}`, o.scope ?? ""]));
    expect([...served.keys()].filter((k) => !described.has(k))).toEqual([]);
    expect([...described.keys()].filter((k) => !served.has(k))).toEqual([]);
    for (const [key, scope] of served) expect(described.get(key), key).toBe(scope);
    expect(new Set(OPERATIONS.map((o) => o.operationId)).size).toBe(OPERATIONS.length);
  });

  it("is served as OpenAPI 3.1 with resolvable references, and /docs renders the reference page", async () => {
    const res = await exports.default.fetch("http://provisio.test/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { operationId: string; tags: string[] }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.paths["/api/v1/apps/{appId}/users"].get.operationId).toBe("listApplicationUsers");
    expect(doc.paths["/api/v1/apps/{appId}/imports"].post.tags).toEqual(["provisio extensions"]);
    // Query parameters and request bodies come from the routes' own validators.
    const listAppUsers = doc.paths["/api/v1/apps/{appId}/users"].get as unknown as { parameters: { name: string; in: string }[] };
    expect(listAppUsers.parameters.filter((p) => p.in === "query").map((p) => p.name)).toEqual([
      "q",
      "after",
      "limit",
      "expand",
      "filter",
      "query_scope",
    ]);
    const assign = doc.paths["/api/v1/apps/{appId}/users"].post as unknown as {
      requestBody: { content: { "application/json": { schema: { required: string[] } } } };
    };
    expect(assign.requestBody.content["application/json"].schema.required).toEqual(["id"]);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(50);
    expect(refs.filter((name) => !(name in doc.components.schemas))).toEqual([]);

    const docs = await exports.default.fetch("http://provisio.test/docs");
    expect(docs.status).toBe(200);
    expect(docs.headers.get("Content-Type")).toContain("text/html");
    expect(await docs.text()).toContain("/openapi.json");
  });
});
