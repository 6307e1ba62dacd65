import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { inject } from "vitest";
import { app } from "../../src/app";
import { ORIGIN } from "./api";

// Building blocks of the route fuzzer (test/routes/fuzz.test.ts): request bodies generated
// from the routes' own validators (as JSON Schema), mutations of them, garbage of every kind,
// a digest of D1 to prove a refused request changed nothing, and a guard that keeps every URL
// the fuzzer sends on this machine.

/** High limits for the fuzzer's calls only: it must exercise the routes, not the limiter's 429. */
export const FUZZ_VARS: Partial<Record<keyof Env, string>> = {
  RATE_LIMIT_PER_MINUTE: "1000000",
  AUTH_FAILURES_PER_MINUTE: "1000000",
};

// ---- sending ------------------------------------------------------------------------------

/** A body too big to keep in the generated sample: built when the request is sent. */
export type LazyBody = { kind: "huge"; bytes: number; shape: "raw" | "json-string" | "profile"; stream: boolean };

export interface FuzzRequest {
  route: string;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body?: string | LazyBody;
}

export interface FuzzResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The app threw instead of answering (the runtime would answer 500). */
  threw?: string;
}

function materialize(body: LazyBody): BodyInit {
  const text =
    body.shape === "raw"
      ? "x".repeat(body.bytes)
      : body.shape === "json-string"
        ? JSON.stringify("é".repeat(Math.floor(body.bytes / 2)))
        : JSON.stringify({ profile: { nickName: "y".repeat(body.bytes) } });
  const bytes = new TextEncoder().encode(text);
  if (!body.stream) return bytes;
  // No Content-Length: the cap must hold while the body is read.
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += 65_536) controller.enqueue(bytes.slice(at, at + 65_536));
      controller.close();
    },
  });
}

/** Sends one request through the app with the fuzzer's variables; never throws for an answer. */
export async function send(request: FuzzRequest, vars = FUZZ_VARS): Promise<FuzzResponse> {
  const init: RequestInit & { duplex?: string } = { method: request.method, headers: request.headers };
  if (request.body !== undefined && request.method !== "GET" && request.method !== "HEAD") {
    init.body = typeof request.body === "string" ? request.body : materialize(request.body);
    if (init.body instanceof ReadableStream) init.duplex = "half";
  }
  const ctx = createExecutionContext();
  try {
    const response = await app.fetch(new Request(`${ORIGIN}${request.path}${request.query}`, init), { ...env, ...vars }, ctx);
    const text = await response.text();
    await waitOnExecutionContext(ctx);
    return { status: response.status, headers: response.headers, text };
  } catch (error) {
    await waitOnExecutionContext(ctx).catch(() => undefined);
    return {
      status: 500,
      headers: new Headers(),
      text: "",
      threw: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
}

/** Whether a request can be built at all (a client cannot send a forbidden method or header). */
export function sendable(request: FuzzRequest): boolean {
  try {
    new Request(`${ORIGIN}${request.path}${request.query}`, { method: request.method, headers: request.headers });
    return true;
  } catch {
    return false;
  }
}

/** What is wrong with a 4xx body, if it is not Okta's error envelope. */
export function envelopeProblem(response: FuzzResponse, method: string): string | undefined {
  if (method === "HEAD") return response.text === "" ? undefined : "HEAD answered with a body";
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(response.text);
  } catch {
    return `not JSON: ${response.text.slice(0, 120)}`;
  }
  for (const key of ["errorCode", "errorSummary", "errorLink", "errorId"]) {
    if (typeof body[key] !== "string") return `${key} missing or not a string`;
  }
  if (!Array.isArray(body.errorCauses)) return "errorCauses is not an array";
  if (!/^E\d{7}$/.test(body.errorCode as string)) return `errorCode ${String(body.errorCode)}`;
  return undefined;
}

// ---- keeping every URL on this machine ----------------------------------------------------

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);
/**
 * Where any other URL is pointed instead: the test SCIM server on this machine, at a path it
 * answers 404 (a refused port would do too, but workerd logs each refused fetch as uncaught).
 */
export const LOCAL_SINK_URL = `${inject("scimOrigin")}/fuzz-sink`;

/**
 * Connections and inline hooks make provisio call the URLs they are given. Every string in a
 * generated body that a URL parser reads as a network address other than loopback is
 * replaced, so no request the fuzzer sends can make the Worker reach off this machine.
 */
export function keepUrlsLocal<T>(value: T): T {
  if (typeof value === "string") return localString(value) as T;
  // In place and without recursion: generated bodies nest thousands of levels deep.
  // Each object once: generated values share sub-objects, and walking every path through them
  // took minutes (the stall of the 10,000-request run).
  const stack: unknown[] = [value];
  const visited = new WeakSet<object>();
  let walked = 0;
  while (stack.length > 0) {
    const node = stack.pop() as Record<string, unknown>;
    if (!node || typeof node !== "object" || visited.has(node)) continue;
    visited.add(node);
    if (++walked > 2_000_000) throw new Error(`keepUrlsLocal walked more than 2,000,000 objects`);
    for (const key of Object.keys(node)) {
      const item = node[key];
      if (typeof item === "string") {
        const safe = localString(item);
        if (safe !== item) Object.defineProperty(node, key, { value: safe, enumerable: true, writable: true, configurable: true });
      } else if (item && typeof item === "object") stack.push(item);
    }
  }
  return value;
}

/**
 * What a URL parser could read as an absolute URL: a scheme, then anything. WHATWG parsing
 * first trims C0 controls and spaces and drops every tab and newline, so those are skipped too.
 */
const SCHEME = /^[\u0000-\u0020]*[a-z][a-z0-9+.\t\n\r-]*:/i;

function localString(value: string): string {
  // Only strings with a scheme can parse, and a refused parse is costly in workerd (a C++
  // exception turned into a TypeError with a stack): the 10,000-request run stalled for minutes
  // in `new URL` over the hundreds of thousands of strings of a few generated bodies.
  if (!SCHEME.test(value) || !URL.canParse(value)) return value;
  const url = new URL(value);
  return url.hostname !== "" && !LOCAL_HOSTS.has(url.hostname) ? LOCAL_SINK_URL : value;
}

/** The same for a raw body: JSON is parsed and checked; any other text with a remote URL in it is dropped. */
export function keepTextLocal(text: string): string {
  try {
    return JSON.stringify(keepUrlsLocal(JSON.parse(text)));
  } catch {
    return /[a-z][\w+.-]*:/i.test(text) && /[\w-]\.[\w-]/.test(text) && keepUrlsLocal(text.trim()) !== text.trim() ? "not json" : text;
  }
}

// ---- the state digest ---------------------------------------------------------------------

/**
 * Every D1 table a request can change, minus what background work changes by design while the
 * fuzzer runs: provisioning results on app users (status, syncState, externalId, lastSync,
 * lastUpdated, statusChanged) and push mappings, import progress, token use bookkeeping, and
 * the System Log (failed authentications are logged on purpose).
 */
const DIGEST: { table: string; columns: string[] | "*"; order: string }[] = [
  { table: "users", columns: "*", order: "id" },
  { table: "groups", columns: "*", order: "id" },
  { table: "group_members", columns: ["group_id", "user_id"], order: "group_id, user_id" },
  { table: "apps", columns: "*", order: "id" },
  {
    table: "app_users",
    columns: ["app_id", "user_id", "scope", "user_name", "password_ciphertext", "profile", "overrides", "created", "password_changed"],
    order: "app_id, user_id",
  },
  { table: "app_groups", columns: "*", order: "app_id, group_id" },
  { table: "app_user_schemas", columns: "*", order: "app_id" },
  { table: "profile_mappings", columns: "*", order: "id" },
  { table: "app_provisioning", columns: "*", order: "app_id" },
  { table: "app_integrations", columns: "*", order: "app_id" },
  { table: "group_push_mappings", columns: ["id", "app_id", "source_group_id", "target_group_name", "created"], order: "id" },
  { table: "import_sessions", columns: ["id", "app_id", "type", "trigger", "dry_run", "created"], order: "id" },
  { table: "org_settings", columns: ["key", "value"], order: "key" },
  { table: "inline_hooks", columns: "*", order: "id" },
  {
    table: "api_tokens",
    columns: ["id", "name", "user_id", "client_name", "bootstrap", "status", "network", "created", "last_updated"],
    order: "id",
  },
];

export type Digest = Record<string, string>;

let digestSql: string | undefined;

/** One statement that reads every table above as a JSON array of its rows, in key order. */
async function buildDigestSql(): Promise<string> {
  const parts: string[] = [];
  for (const { table, columns, order } of DIGEST) {
    const names =
      columns === "*"
        ? (await env.DB.prepare("SELECT name FROM pragma_table_info(?) ORDER BY cid").bind(table).all<{ name: string }>()).results.map(
            (r) => r.name,
          )
        : columns;
    const list = names.map((name) => `"${name}"`).join(", ");
    parts.push(`(SELECT json_group_array(json_array(${list})) FROM (SELECT ${list} FROM ${table} ORDER BY ${order})) AS ${table}`);
  }
  return `SELECT ${parts.join(",\n")}`;
}

/** The content of every table above, as text to compare (one D1 query). */
export async function digest(): Promise<Digest> {
  digestSql ??= await buildDigestSql();
  return (await env.DB.prepare(digestSql).first<Digest>())!;
}

export function changedTables(before: Digest, after: Digest): string[] {
  return DIGEST.map(({ table }) => table).filter((table) => before[table] !== after[table]);
}

// ---- generated values ---------------------------------------------------------------------

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  format?: string;
  pattern?: string;
  default?: unknown;
};

/**
 * Values worth trying for a property at this path in the body ("profile.login", "items[]",
 * "properties.*" for any key of a record); real ids of seeded resources, URLs that stay on
 * this machine, expressions. `strict` asks for values the route should accept.
 */
export type Hints = (path: string, strict: boolean) => fc.Arbitrary<unknown> | undefined;

const LONE_SURROGATES = fc.constantFrom("\ud800", "\udfff", "a\ud83d", "\u0000", "\uffff", "\u202e", "\ufeff", "𝔘𝔫𝔦", "👩‍👩‍👧‍👦", "é", "e\u0301");

/** Short text of every sort: ASCII, any code point, control characters and lone surrogates. */
export const text = (maxLength = 24): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: fc.string({ maxLength }), weight: 4 },
    { arbitrary: fc.string({ unit: "binary", maxLength }), weight: 2 },
    { arbitrary: fc.string({ unit: "binary-ascii", maxLength }), weight: 1 },
    { arbitrary: fc.string({ unit: fc.oneof(fc.string({ minLength: 1, maxLength: 1 }), LONE_SURROGATES), maxLength }), weight: 1 },
  );

/** A string of about `n` characters (long strings are built, not generated unit by unit). */
export const longString = fc
  .tuple(fc.constantFrom(255, 256, 1024, 1025, 4096, 4097, 10_000, 65_536, 300_000), fc.constantFrom("a", "é", "𝔘", "\u0000", "%", "/"))
  .map(([n, unit]) => unit.repeat(n));

/** Nesting far deeper than any real body: arrays or objects. */
export const deepValue = fc.tuple(fc.constantFrom(64, 500, 2_000), fc.boolean()).map(([depth, arrays]) => {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
  return value;
});

/** Anything a JSON body might carry where something else was expected. */
export const garbage: fc.Arbitrary<unknown> = fc.oneof(
  {
    arbitrary: fc.constantFrom(null, true, false, 0, -1, -0, 1.5, 2 ** 53 + 1, 1e308, -1e308, "", " ", "null", "[]", "{}", [], {}),
    weight: 6,
  },
  { arbitrary: fc.integer(), weight: 2 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 },
  { arbitrary: text(), weight: 6 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 4 },
  { arbitrary: longString, weight: 1 },
  { arbitrary: deepValue, weight: 1 },
  { arbitrary: fc.array(fc.constantFrom("x", 1, null), { minLength: 500, maxLength: 3_000 }), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      JSON.parse('{"__proto__":{"admin":true}}'),
      { constructor: { prototype: { x: 1 } } },
      { toString: "x", valueOf: 1, hasOwnProperty: null },
    ),
    weight: 1,
  },
);

const EMAILS = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9.]{0,10}@example\.com$/),
  fc.constantFrom("a@b.co", "not-an-email", "@example.com", "x@", "ünï@exämple.com", "a@b"),
);

const DATES = fc.oneof(
  fc
    .date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom("2024-02-30T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999+14:00", "yesterday", "1700000000"),
);

/**
 * An arbitrary of values that satisfy a JSON Schema as `z.toJSONSchema` writes it (`strict`),
 * or mostly do, with boundary lengths and values; `hints` supply real ids and safe URLs by
 * property name.
 */
export function fromSchema(schema: JsonSchema, hints: Hints, strict = false, path = "", depth = 0): fc.Arbitrary<unknown> {
  const hinted = path ? hints(path, strict) : undefined;
  const own = valuesOf(schema, hints, strict, path, depth);
  if (hinted && strict) return hinted;
  return hinted ? fc.oneof({ arbitrary: hinted, weight: 3 }, { arbitrary: own, weight: 1 }) : own;
}

function valuesOf(schema: JsonSchema, hints: Hints, strict: boolean, path: string, depth: number): fc.Arbitrary<unknown> {
  if (depth > 8) return fc.jsonValue({ maxDepth: 1 });
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => valuesOf(s, hints, strict, path, depth + 1)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "string":
      return stringFor(schema, strict);
    case "integer":
    case "number": {
      const min = schema.minimum ?? (strict ? 0 : -1000);
      const max = schema.maximum ?? 100_000;
      const inRange = type === "integer" ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true });
      if (strict) return inRange;
      return fc.oneof({ arbitrary: inRange, weight: 6 }, { arbitrary: fc.constantFrom(min, max, min - 1, max + 1, 0.5), weight: 1 });
    }
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array": {
      const items = schema.items ? fromSchema(schema.items, hints, strict, `${path}[]`, depth + 1) : fc.jsonValue({ maxDepth: 1 });
      const max = Math.min(schema.maxItems ?? 4, 4);
      return fc.array(items, { minLength: Math.min(schema.minItems ?? 0, max), maxLength: max });
    }
    case "object":
      return objectFor(schema, hints, strict, path, depth);
    default:
      return strict ? fc.oneof(fc.string({ maxLength: 12 }), fc.boolean(), fc.integer()) : fc.jsonValue({ maxDepth: 2 });
  }
}

const VALID_EMAILS = fc.stringMatching(/^[a-z][a-z0-9]{0,10}@example\.com$/);

function stringFor(schema: JsonSchema, strict = false): fc.Arbitrary<string> {
  if (schema.format === "email") return strict ? VALID_EMAILS : EMAILS;
  if (schema.format === "date-time")
    return strict ? fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()) : DATES;
  if (strict) {
    const min = schema.minLength ?? 0;
    return fc.string({ minLength: Math.max(min, 1), maxLength: Math.min(schema.maxLength ?? 24, Math.max(min, 1) + 16) });
  }
  if (schema.pattern === "^-?\\d+$")
    return fc.oneof(fc.integer({ min: -2, max: 20_000 }).map(String), fc.constantFrom("1e3", "99999999999999999999"));
  if (schema.pattern === "^\\d+$") return fc.nat().map(String);
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? 64;
  const bounds = [max, max + 1, Math.max(min - 1, 0)].filter((n) => n <= 100_000);
  return fc.oneof(
    { arbitrary: text(Math.min(max, min + 24)).filter((s) => s.length >= min), weight: 8 },
    { arbitrary: fc.constantFrom(...bounds).map((n) => "s".repeat(n)), weight: 1 },
  );
}

const ATTRIBUTE_NAMES = fc.constantFrom("nickName", "role", "tag", "note", "userName", "id", "__proto__", "constructor", "a.b", "");

function objectFor(schema: JsonSchema, hints: Hints, strict: boolean, path: string, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const properties = Object.entries(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  const at = (name: string) => (path ? `${path}.${name}` : name);
  const known = fc.record(Object.fromEntries(properties.map(([name, s]) => [name, fromSchema(s, hints, strict, at(name), depth + 1)])), {
    requiredKeys: properties.filter(([name]) => required.has(name)).map(([name]) => name),
  });
  const extra = schema.additionalProperties;
  if (!extra || extra === true) return known;
  if (strict && properties.length > 0) return known;
  // A record (z.record) or a catch-all: some free keys, often attribute names.
  const keys = strict
    ? fc.constantFrom("nickName", "role", "tag")
    : fc.oneof(ATTRIBUTE_NAMES, schema.propertyNames ? stringFor(schema.propertyNames) : text(12));
  const values =
    Object.keys(extra).length > 0
      ? fromSchema(extra, hints, strict, at("*"), depth + 1)
      : strict
        ? fc.string({ maxLength: 12 })
        : fc.oneof(garbage, text());
  const free = fc.dictionary(keys, values, { maxKeys: properties.length > 0 ? 2 : 4 });
  return fc.tuple(known, free).map(([a, b]) => ({ ...b, ...a }));
}

// ---- mutations ----------------------------------------------------------------------------

export type Mutation = { at: number; op: "delete" | "replace" | "add" | "wrap" | "retype"; key: string; value: unknown };

export const mutations = fc.array(
  fc.record({
    at: fc.nat(),
    op: fc.constantFrom("delete", "replace", "add", "wrap", "retype"),
    key: fc.oneof(ATTRIBUTE_NAMES, text(8)),
    value: garbage,
  }) as fc.Arbitrary<Mutation>,
  { minLength: 1, maxLength: 3 },
);

/** Applies mutations at positions in the value's tree (objects and arrays, in walk order). */
export function mutate(value: unknown, changes: Mutation[]): unknown {
  let root = structuredClone(value);
  for (const change of changes) {
    const containers: { parent: Record<string, unknown> | unknown[] }[] = [];
    let walked = 0;
    const walk = (node: unknown, depth: number) => {
      if (depth > 12 || !node || typeof node !== "object") return;
      if (++walked > 2_000_000) throw new Error(`mutate walked more than 2,000,000 nodes`);
      containers.push({ parent: node as Record<string, unknown> });
      for (const child of Object.values(node)) walk(child, depth + 1);
    };
    walk(root, 0);
    if (containers.length === 0) {
      root = change.op === "wrap" ? [root] : change.value;
      continue;
    }
    const { parent } = containers[change.at % containers.length];
    const keys = Object.keys(parent);
    const key = keys.length > 0 ? keys[change.at % keys.length] : change.key;
    const target = parent as Record<string, unknown>;
    // A copy goes in: garbage values are shared instances (fc.constantFrom's [] and {}), and a
    // later change in this list could write into one, changing it for every later sample and,
    // when it writes the instance into itself, making it circular.
    const value = structuredClone(change.value);
    if (change.op === "delete") delete target[key];
    else if (change.op === "replace") target[key] = value;
    else if (change.op === "add")
      Object.defineProperty(target, change.key, { value, enumerable: true, writable: true, configurable: true });
    else if (change.op === "wrap") target[key] = [target[key]];
    else target[key] = typeof target[key] === "string" ? Number(target[key]) || [target[key]] : retyped(target[key]);
  }
  return root;
}

/** A value as a string, whatever it is (an object may carry its own toString that is not a function). */
function retyped(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "undefined";
  } catch {
    return "[unprintable]";
  }
}
