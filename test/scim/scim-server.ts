import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import express, { type NextFunction, type Request, type Response } from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

/*
 * A real SCIM 2.0 service provider for tests (SCIMMY + its express routers), in memory, with
 * separate tenants under /t/<tenant>/scim/v2 so every test gets its own downstream app, and a
 * fault injector in front of it: 429 with Retry-After, 500, slow answers, and "commit then
 * hang" (the request is applied but its answer arrives after the client gave up).
 *
 * Express 4 on purpose: scimmy-routers casts startIndex/count by assigning to req.query,
 * which Express 5 recomputes on every read, so paging would be ignored.
 *
 * Control endpoints per tenant: POST /t/<t>/__faults (add faults), POST /t/<t>/__config
 * ({patch: false} makes it a PUT-only provider), GET /t/<t>/__state (users, groups, passwords
 * received, request log).
 */

export const SCIM_TOKEN = "scim-test-token";
export const SCIM_BASIC = { username: "scim-admin", password: "scim-secret" };

type Json = Record<string, any>;

interface Fault {
  method?: string;
  path?: string;
  kind:
    | "429"
    | "500"
    | "delay"
    | "commit-then-hang"
    | "commit-then-409"
    | "malformed-resource"
    // The connection is dropped without an answer.
    | "reset"
    // A 200 whose body is not JSON.
    | "malformed-json"
    // No fault: takes a turn, so a seeded schedule can interleave faults with clean answers.
    | "pass"
    // The tenant's first user is deleted before this request is answered (a list shifts under paging).
    | "delete-first-user"
    // Headers are sent, then the body never finishes.
    | "stall-body"
    // Answers `status` with `body` as given (`contentType`, default text/plain): what a proxy,
    // a misconfigured app or a chatty error handler sends back.
    | "respond";
  times: number;
  retryAfter?: string;
  delayMs?: number;
  status?: number;
  body?: string;
  contentType?: string;
}

interface HookConfig {
  mode: "commands" | "error" | "slow";
  commands?: Json[];
  /** Only answer with commands for this imported userName (others get no commands). */
  forUserName?: string;
}

interface Tenant {
  hook?: HookConfig;
  /** A JSON Web Key Set this tenant publishes at /t/<t>/jwks (an OAuth client's jwks_uri), and how. */
  jwks?: { status?: number; body: string; cacheControl?: string };
  jwksFetches: number;
  hookRequests: Json[];
  users: Map<string, Json>;
  groups: Map<string, Json>;
  passwords: Map<string, string[]>;
  requests: { method: string; path: string; status: number; body?: unknown }[];
  faults: Fault[];
  patch: boolean;
  /** Seeded in bulk: plain listings are served straight from the tenant's users (see listPage). */
  bulk?: boolean;
}

const tenants = new Map<string, Tenant>();

function tenant(name: string): Tenant {
  let t = tenants.get(name);
  if (!t) {
    t = {
      users: new Map(),
      groups: new Map(),
      passwords: new Map(),
      requests: [],
      faults: [],
      patch: true,
      hookRequests: [],
      jwksFetches: 0,
    };
    tenants.set(name, t);
  }
  return t;
}

const notFound = (what: string) => new SCIMMY.Types.Error(404, "", `${what} not found`);
const plain = (value: unknown): Json => JSON.parse(JSON.stringify(value));
const meta = (type: string, created?: string) => ({
  resourceType: type,
  created: created ?? new Date().toISOString(),
  lastModified: new Date().toISOString(),
});

SCIMMY.Config.set({
  documentationUri: "https://example.com/scim",
  patch: { supported: true },
  filter: { supported: true, maxResults: 1000 },
  bulk: { supported: false },
  changePassword: { supported: true },
  sort: { supported: false },
  etag: { supported: false },
  authenticationSchemes: [],
});

SCIMMY.Resources.declare(SCIMMY.Resources.User, {
  ingress: (resource: any, instance: any, ctx: string) => {
    const t = tenant(ctx);
    const data = plain(instance);
    if (typeof instance.password === "string") data.password = instance.password;
    const { password, ...stored } = data;
    if (resource.id) {
      const current = t.users.get(resource.id);
      if (!current) throw notFound(`User ${resource.id}`);
      const clash = [...t.users.values()].find(
        (u) => u.id !== resource.id && u.userName.toLowerCase() === String(stored.userName).toLowerCase(),
      );
      if (clash) throw new SCIMMY.Types.Error(409, "uniqueness", `userName ${stored.userName} is taken`);
      const updated = { ...stored, id: resource.id, meta: meta("User", current.meta?.created) };
      t.users.set(resource.id, updated);
      if (password) t.passwords.set(resource.id, [...(t.passwords.get(resource.id) ?? []), password]);
      return updated;
    }
    if ([...t.users.values()].some((u) => u.userName.toLowerCase() === String(stored.userName).toLowerCase())) {
      throw new SCIMMY.Types.Error(409, "uniqueness", `userName ${stored.userName} already exists`);
    }
    const id = randomUUID();
    const created = { ...stored, id, meta: meta("User") };
    t.users.set(id, created);
    if (password) t.passwords.set(id, [password]);
    return created;
  },
  egress: (resource: any, ctx: string) => {
    const t = tenant(ctx);
    if (resource.id) {
      const user = t.users.get(resource.id);
      if (!user) throw notFound(`User ${resource.id}`);
      return user;
    }
    const all = [...t.users.values()];
    return resource.filter ? resource.filter.match(all) : all;
  },
  degress: (resource: any, ctx: string) => {
    if (!tenant(ctx).users.delete(resource.id)) throw notFound(`User ${resource.id}`);
  },
});

SCIMMY.Resources.declare(SCIMMY.Resources.Group, {
  ingress: (resource: any, instance: any, ctx: string) => {
    const t = tenant(ctx);
    const data = plain(instance);
    if (resource.id) {
      const current = t.groups.get(resource.id);
      if (!current) throw notFound(`Group ${resource.id}`);
      const updated = { ...data, id: resource.id, meta: meta("Group", current.meta?.created) };
      t.groups.set(resource.id, updated);
      return updated;
    }
    if ([...t.groups.values()].some((g) => g.displayName === data.displayName))
      throw new SCIMMY.Types.Error(409, "uniqueness", `group ${data.displayName} exists`);
    const id = randomUUID();
    const created = { ...data, id, members: data.members ?? [], meta: meta("Group") };
    t.groups.set(id, created);
    return created;
  },
  egress: (resource: any, ctx: string) => {
    const t = tenant(ctx);
    if (resource.id) {
      const group = t.groups.get(resource.id);
      if (!group) throw notFound(`Group ${resource.id}`);
      return group;
    }
    const all = [...t.groups.values()];
    return resource.filter ? resource.filter.match(all) : all;
  },
  degress: (resource: any, ctx: string) => {
    if (!tenant(ctx).groups.delete(resource.id)) throw notFound(`Group ${resource.id}`);
  },
});

function authenticate(request: Request): string {
  const header = request.header("Authorization") ?? "";
  const basic = `Basic ${Buffer.from(`${SCIM_BASIC.username}:${SCIM_BASIC.password}`).toString("base64")}`;
  if (header !== `Bearer ${SCIM_TOKEN}` && header !== basic) throw new Error("Authorization failed: bad credentials");
  return "okta";
}

function tenantOf(request: Request): string {
  return request.originalUrl.split("/")[2] ?? "default";
}

/** Logs every SCIM request and applies the tenant's next matching fault, if any. */
function faultInjector(request: Request, response: Response, next: NextFunction): void {
  const t = tenant(tenantOf(request));
  const path = request.originalUrl.replace(/^\/t\/[^/]+\/scim\/v2/, "");
  const entry: Tenant["requests"][number] = { method: request.method, path, status: 0, body: request.body };
  t.requests.push(entry);
  response.on("finish", () => {
    entry.status = response.statusCode;
  });
  if (!t.patch && path.startsWith("/ServiceProviderConfig")) {
    response.status(200).type("application/scim+json").send(JSON.stringify(spcWithoutPatch()));
    return;
  }
  if (!t.patch && request.method === "PATCH" && path.startsWith("/Users")) {
    response
      .status(501)
      .json({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "501", detail: "PATCH is not supported" });
    return;
  }
  const fault = t.faults.find(
    (f) => f.times > 0 && (!f.method || f.method === request.method) && (!f.path || new RegExp(f.path).test(path)),
  );
  if (!fault) return t.bulk && request.method === "GET" && /^\/Users\?/.test(path) ? listPage(t, request, response, next) : next();
  fault.times--;
  const error = (status: number, detail: string) =>
    response
      .status(status)
      .type("application/scim+json")
      .send(JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: String(status), detail }));
  switch (fault.kind) {
    case "pass":
      next();
      return;
    case "reset":
      request.socket.destroy();
      return;
    case "respond":
      response
        .status(fault.status ?? 500)
        .type(fault.contentType ?? "text/plain")
        .send(fault.body ?? "");
      return;
    case "malformed-json":
      response.status(200).type("application/scim+json").send('{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": ');
      return;
    case "delete-first-user": {
      const [first] = t.users.keys();
      if (first !== undefined) t.users.delete(first);
      next();
      return;
    }
    case "429":
      if (fault.retryAfter !== undefined) response.setHeader("Retry-After", fault.retryAfter);
      error(429, "Too many requests");
      return;
    case "500":
      error(500, "Internal error (injected)");
      return;
    case "delay":
      setTimeout(next, fault.delayMs ?? 0);
      return;
    case "malformed-resource": {
      // A list whose first resource is not a usable user (no id, no userName).
      const end = response.end.bind(response);
      (response as any).end = (chunk?: unknown) => {
        const parsed = JSON.parse(String(chunk));
        parsed.Resources = [
          { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], displayName: "broken" },
          ...(parsed.Resources ?? []),
        ];
        const body = JSON.stringify(parsed);
        response.setHeader("Content-Length", Buffer.byteLength(body));
        return end(body);
      };
      next();
      return;
    }
    case "commit-then-409": {
      // The request is applied, but the answer says the user already exists: what a client
      // sees when another writer created the same user between its search and its create.
      const end = response.end.bind(response);
      (response as any).end = () => {
        const body = JSON.stringify({
          schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
          status: "409",
          scimType: "uniqueness",
          detail: "userName already exists",
        });
        response.statusCode = 409;
        response.setHeader("Content-Type", "application/scim+json");
        response.setHeader("Content-Length", Buffer.byteLength(body));
        return end(body);
      };
      next();
      return;
    }
    case "stall-body": {
      // The status line and headers arrive at once; the body only after delayMs.
      response.status(200).type("application/scim+json");
      response.flushHeaders();
      response.write('{"schemas":');
      setTimeout(() => response.end('["urn:ietf:params:scim:api:messages:2.0:ListResponse"]}'), fault.delayMs ?? 5_000);
      return;
    }
    case "commit-then-hang": {
      // Let the request be applied, then hold the answer back past the client's timeout.
      const end = response.end.bind(response);
      (response as any).end = (...args: unknown[]) => {
        setTimeout(() => end(...(args as [])), fault.delayMs ?? 5_000);
        return response;
      };
      next();
      return;
    }
  }
}

/**
 * A tenant seeded with tens of thousands of users answers plain listings (startIndex and count,
 * no filter) itself: SCIMMY would rebuild and validate every user of the tenant for each page.
 * The answer is the same ListResponse SCIMMY gives (RFC 7644 §3.4.2).
 */
function listPage(t: Tenant, request: Request, response: Response, next: NextFunction): void {
  if (request.query.filter !== undefined) return next();
  const all = [...t.users.values()];
  const startIndex = Math.max(1, Number(request.query.startIndex ?? 1) || 1);
  const count = Math.max(0, Number(request.query.count ?? 100) || 0);
  const Resources = all.slice(startIndex - 1, startIndex - 1 + count);
  response
    .status(200)
    .type("application/scim+json")
    .send(
      JSON.stringify({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        totalResults: all.length,
        startIndex,
        itemsPerPage: Resources.length,
        Resources,
      }),
    );
}

function spcWithoutPatch(): Json {
  return {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
    patch: { supported: false },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: 1000 },
    changePassword: { supported: true },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [],
  };
}

export async function startScimServer(): Promise<{ origin: string; close: () => Promise<void> }> {
  const app = express();
  app.use(express.json({ type: ["application/json", "application/scim+json"], limit: "5mb" }));
  app.post("/t/:tenant/__faults", (request, response) => {
    tenant(String(request.params.tenant)).faults.push(...(request.body as Fault[]));
    response.status(204).end();
  });
  app.delete("/t/:tenant/__faults", (request, response) => {
    tenant(String(request.params.tenant)).faults = [];
    response.status(204).end();
  });
  app.post("/t/:tenant/__config", (request, response) => {
    tenant(String(request.params.tenant)).patch = request.body.patch !== false;
    response.status(204).end();
  });
  // An import inline hook endpoint for the tenant, told what to answer by POST /__hook.
  app.post("/t/:tenant/__hook", (request, response) => {
    tenant(String(request.params.tenant)).hook = request.body as HookConfig;
    response.status(204).end();
  });
  app.post("/t/:tenant/hook", (request, response) => {
    const t = tenant(String(request.params.tenant));
    t.hookRequests.push({ headers: request.headers, body: request.body });
    const config = t.hook ?? { mode: "commands" };
    if (config.mode === "error") return void response.status(500).json({ error: "hook failed" });
    const userName = request.body?.data?.appUser?.profile?.userName;
    const commands = config.forUserName && config.forUserName !== userName ? [] : (config.commands ?? []);
    const answer = () => response.json({ commands });
    if (config.mode === "slow") setTimeout(answer, 4_000);
    else answer();
  });
  // Scale tests: `count` users written straight into the tenant (one request, not one each).
  app.post("/t/:tenant/__seed", (request, response) => {
    const t = tenant(String(request.params.tenant));
    const { count, prefix } = request.body as { count: number; prefix: string };
    for (let i = 1; i <= count; i++) {
      const id = `${prefix}-${String(i).padStart(7, "0")}`;
      const email = `${prefix}${i}@example.com`;
      t.users.set(id, {
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
        id,
        userName: email,
        active: true,
        name: { givenName: "Seeded", familyName: `${prefix}${i}` },
        emails: [{ value: email, primary: true }],
        meta: meta("User"),
      });
    }
    t.bulk = true;
    response.status(204).end();
  });
  // An OAuth client's key set: POST /__jwks sets what GET /jwks answers (keys or any body), GET counts the fetches.
  app.post("/t/:tenant/__jwks", (request, response) => {
    const config = request.body as { keys?: unknown[]; status?: number; body?: string; cacheControl?: string };
    tenant(String(request.params.tenant)).jwks = {
      status: config.status,
      body: config.body ?? JSON.stringify({ keys: config.keys ?? [] }),
      cacheControl: config.cacheControl,
    };
    response.status(204).end();
  });
  app.get("/t/:tenant/jwks", (request, response) => {
    const t = tenant(String(request.params.tenant));
    t.jwksFetches++;
    if (!t.jwks) return void response.status(404).json({ error: "no key set" });
    if (t.jwks.cacheControl) response.setHeader("Cache-Control", t.jwks.cacheControl);
    response
      .status(t.jwks.status ?? 200)
      .type("application/json")
      .send(t.jwks.body);
  });
  app.get("/t/:tenant/__state", (request, response) => {
    const t = tenant(String(request.params.tenant));
    response.json({
      jwksFetches: t.jwksFetches,
      hookRequests: t.hookRequests,
      users: [...t.users.values()],
      groups: [...t.groups.values()],
      passwords: Object.fromEntries(t.passwords),
      requests: t.requests,
    });
  });
  app.use("/t/:tenant/scim/v2", faultInjector, new SCIMMYRouters({ type: "bearer", handler: authenticate, context: tenantOf }) as any);
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
