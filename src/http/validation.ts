import { zValidator } from "@hono/zod-validator";
import { createMiddleware } from "hono/factory";
import type { ZodType } from "zod";
import { DomainError } from "../domain/errors";
import type { AppEnv } from "./context";
import { capsFrom, readCappedBody } from "./request-caps";

const JSON_MEDIA = /^application\/([\w.-]+\+)?json$/i;

/**
 * Runs before any body validator. A body that is present must be JSON and must parse (else
 * E0000021 / E0000003) so a client's data is never silently dropped; an empty body (Okta's
 * SDK sends bodyless PUT/POST with Content-Length: 0) reads as `{}`. The body is read up to
 * MAX_REQUEST_BODY_BYTES and no further (413).
 */
export const jsonBodyGuard = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method === "GET" || c.req.method === "HEAD" || c.req.method === "DELETE") return next();
  // Read as bytes: Workers warn when a non-text body is read with text().
  const text = new TextDecoder().decode(await readCappedBody(c.req.raw, capsFrom(c.env).bodyBytes));
  // Hono's json() parses the cached text; an empty body becomes {} for the validators.
  (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text.trim() === "" ? "{}" : text);
  if (text.trim() === "") return next();
  const mediaType = (c.req.header("Content-Type") ?? "").split(";")[0].trim();
  if (!JSON_MEDIA.test(mediaType)) throw new DomainError("E0000021");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DomainError("E0000003");
  }
  // Nothing Okta accepts nests this deep; deeper bodies would only reach recursive code
  // (validation, comparisons, serialization) and exhaust its stack.
  if (nestsDeeperThan(parsed, MAX_JSON_DEPTH)) {
    throw DomainError.validation("body", `the body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  await next();
});

const MAX_JSON_DEPTH = 32;

/** Whether a parsed JSON value nests deeper than `limit`, walked without recursion. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== "object") continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

function issuesToError(subject: string, issues: readonly { path: PropertyKey[]; message: string }[]): DomainError {
  const causes = issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const first = issues.find((issue) => issue.path.length > 0)?.path;
  return DomainError.validation(first ? String(first[first.length - 1]) : subject, ...causes);
}

// The validators carry their schemas, so the OpenAPI document is derived from the routes themselves.
export const BODY_SCHEMA = Symbol.for("provisio.bodySchema");
export const QUERY_SCHEMA = Symbol.for("provisio.querySchema");

/** Validates the JSON body with zod; failures become 400 E0000001 with one cause per issue. */
export function jsonBody<T extends ZodType>(schema: T, subject: string) {
  const middleware = zValidator("json", schema, (result) => {
    if (!result.success) throw issuesToError(subject, result.error.issues);
  });
  return Object.assign(middleware, { [BODY_SCHEMA]: schema });
}

/** Validates the query string with zod; failures become 400 E0000001 with one cause per issue. */
export function queryParams<T extends ZodType>(schema: T) {
  const middleware = zValidator("query", schema, (result) => {
    if (!result.success) throw issuesToError("query", result.error.issues);
  });
  return Object.assign(middleware, { [QUERY_SCHEMA]: schema });
}
