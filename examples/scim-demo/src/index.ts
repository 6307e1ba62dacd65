import { DurableObject } from "cloudflare:workers";

// A deliberately small SCIM 2.0 service provider (RFC 7643/7644 subset): Users and Groups with
// create, read, replace, PATCH (replace, add/remove members), delete, `eq` filters on userName
// and displayName, and startIndex/count paging. GET / shows what it holds.

interface Env {
  DIRECTORY: DurableObjectNamespace<DemoDirectory>;
  DEMO_TOKEN: string;
}

type Json = Record<string, any>;
const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";

const scim = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/scim+json" } });
const error = (status: number, detail: string, scimType?: string) =>
  scim({ schemas: [ERROR], status: String(status), detail, ...(scimType ? { scimType } : {}) }, status);

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/scim/v2") && request.headers.get("Authorization") !== `Bearer ${env.DEMO_TOKEN}`)
      return error(401, "bad token");
    return env.DIRECTORY.getByName("default").fetch(request);
  },
} satisfies ExportedHandler<Env>;

export class DemoDirectory extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS resources (id TEXT PRIMARY KEY, type TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, created TEXT NOT NULL)",
    );
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/") return this.#page();
    const match = /^\/scim\/v2\/(Users|Groups|ServiceProviderConfig)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!match) return error(404, "no such endpoint");
    const [, kind, id] = match;
    if (kind === "ServiceProviderConfig") {
      return scim({
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        patch: { supported: true },
        bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
        filter: { supported: true, maxResults: 200 },
        changePassword: { supported: true },
        sort: { supported: false },
        etag: { supported: false },
        authenticationSchemes: [{ type: "oauthbearertoken", name: "Bearer token", description: "Authorization: Bearer <token>" }],
      });
    }
    const type = kind === "Users" ? "User" : "Group";
    const body =
      request.method === "GET" || request.method === "DELETE"
        ? undefined
        : ((await request.json().catch(() => undefined)) as Json | undefined);
    if (body === null || (body === undefined && (request.method === "POST" || request.method === "PUT" || request.method === "PATCH")))
      return error(400, "a JSON body is required", "invalidSyntax");
    if (!id) {
      if (request.method === "GET") return this.#list(type, url);
      if (request.method === "POST") return this.#create(type, body!);
      return error(405, "method not allowed");
    }
    const current = this.#get(id, type);
    if (!current) return error(404, `${type} ${id} not found`);
    switch (request.method) {
      case "GET":
        return scim(current);
      case "PUT":
        return this.#save(type, { ...body!, id, meta: current.meta }, current);
      case "PATCH":
        return this.#patch(type, current, body!);
      case "DELETE":
        this.ctx.storage.sql.exec("DELETE FROM resources WHERE id = ?", id);
        return new Response(null, { status: 204 });
      default:
        return error(405, "method not allowed");
    }
  }

  #get(id: string, type: string): Json | undefined {
    const row = this.ctx.storage.sql.exec<{ body: string }>("SELECT body FROM resources WHERE id = ? AND type = ?", id, type).toArray()[0];
    return row ? JSON.parse(row.body) : undefined;
  }

  #list(type: string, url: URL): Response {
    const filter = /^\s*(userName|displayName)\s+eq\s+"(.*)"\s*$/i.exec(url.searchParams.get("filter") ?? "");
    const rows = this.ctx.storage.sql
      .exec<{ body: string; name: string }>("SELECT body, name FROM resources WHERE type = ? ORDER BY created, id", type)
      .toArray()
      .filter((row) => !filter || row.name.toLowerCase() === filter[2].toLowerCase());
    const start = Math.max(Number(url.searchParams.get("startIndex") ?? 1), 1);
    const count = Math.min(Math.max(Number(url.searchParams.get("count") ?? 100), 0), 200);
    const page = rows.slice(start - 1, start - 1 + count).map((row) => JSON.parse(row.body));
    return scim({ schemas: [LIST], totalResults: rows.length, startIndex: start, itemsPerPage: page.length, Resources: page });
  }

  #create(type: string, body: Json): Response {
    const name = type === "User" ? body.userName : body.displayName;
    if (typeof name !== "string" || name === "")
      return error(400, `${type === "User" ? "userName" : "displayName"} is required`, "invalidValue");
    const taken =
      this.ctx.storage.sql.exec("SELECT 1 FROM resources WHERE type = ? AND lower(name) = lower(?)", type, name).toArray().length > 0;
    if (taken) return error(409, `${name} already exists`, "uniqueness");
    const now = new Date().toISOString();
    return this.#save(type, { ...body, id: crypto.randomUUID(), meta: { resourceType: type, created: now } }, undefined, 201);
  }

  #save(type: string, resource: Json, current: Json | undefined, status = 200): Response {
    const { password: _password, ...stored } = resource; // passwords are accepted, never stored or shown
    stored.schemas = [type === "User" ? USER : GROUP];
    stored.meta = { ...(current?.meta ?? stored.meta), resourceType: type, lastModified: new Date().toISOString() };
    if (type === "User") stored.active = stored.active !== false;
    const name = type === "User" ? stored.userName : stored.displayName;
    this.ctx.storage.sql.exec(
      "INSERT INTO resources (id, type, name, body, created) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, body = excluded.body",
      stored.id,
      type,
      name,
      JSON.stringify(stored),
      stored.meta.created ?? new Date().toISOString(),
    );
    return scim(stored, status);
  }

  #patch(type: string, current: Json, body: Json): Response {
    const next: Json = structuredClone(current);
    for (const op of (body.Operations ?? []) as Json[]) {
      const kind = String(op.op).toLowerCase();
      const path = op.path as string | undefined;
      const member = path ? /^members\[value eq "(.+)"\]$/.exec(path) : null;
      if (kind === "remove" && member) next.members = (next.members ?? []).filter((m: Json) => m.value !== member[1]);
      else if (kind === "add" && path === "members")
        next.members = [
          ...(next.members ?? []),
          ...(op.value as Json[]).filter((v) => !(next.members ?? []).some((m: Json) => m.value === v.value)),
        ];
      else if (kind === "replace" && path) setPath(next, path, op.value);
      else if ((kind === "replace" || kind === "add") && !path && op.value && typeof op.value === "object") Object.assign(next, op.value);
      else if (kind === "remove" && path) setPath(next, path, undefined);
      else return error(400, `unsupported operation ${kind} ${path ?? ""}`, "invalidPath");
    }
    return this.#save(type, next, current);
  }

  #page(): Response {
    const rows = this.ctx.storage.sql
      .exec<{ body: string; type: string }>("SELECT body, type FROM resources ORDER BY type DESC, created")
      .toArray();
    const escape = (s: unknown) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    const line = (r: Json, type: string) =>
      type === "User"
        ? `<li>${escape(r.userName)} (${escape(r.name?.givenName)} ${escape(r.name?.familyName)}) ${r.active ? "active" : "<strong>inactive</strong>"}</li>`
        : `<li>group ${escape(r.displayName)}: ${(r.members ?? []).length} members</li>`;
    const items = rows.map((row) => line(JSON.parse(row.body), row.type)).join("");
    return new Response(`<!doctype html><title>SCIM demo app</title><h1>SCIM demo app</h1><ul>${items || "<li>nothing yet</li>"}</ul>`, {
      headers: { "Content-Type": "text/html; charset=utf-8" },
    });
  }
}

function setPath(target: Json, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] ??= {};
  if (value === undefined) delete node[keys[keys.length - 1]];
  else node[keys[keys.length - 1]] = value;
}
