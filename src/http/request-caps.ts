import { createMiddleware } from "hono/factory";
import { DomainError } from "../domain/errors";
import type { AppEnv } from "./context";

/**
 * Size caps on what a request may carry, each configurable by a variable. Okta has no error
 * code for an oversized request, so these are Okta envelopes with code E0000001 and the HTTP
 * status that names the problem: 413 (body), 414 (query string), 431 (headers); a profile over
 * its caps is a plain 400 E0000001 naming the attribute.
 */
export interface RequestCaps {
  bodyBytes: number;
  headerBytes: number;
  queryBytes: number;
  profileAttributes: number;
  profileStringLength: number;
}

export const DEFAULT_CAPS: RequestCaps = {
  bodyBytes: 1_048_576,
  headerBytes: 16_384,
  queryBytes: 8_192,
  profileAttributes: 200,
  profileStringLength: 4_096,
};

type CapVars = Pick<
  Env,
  "MAX_REQUEST_BODY_BYTES" | "MAX_REQUEST_HEADER_BYTES" | "MAX_QUERY_STRING_BYTES" | "MAX_PROFILE_ATTRIBUTES" | "MAX_PROFILE_STRING_LENGTH"
>;

/** The caps the variables set; a missing, zero or non-numeric value means the default. */
export function capsFrom(vars: Partial<CapVars>): RequestCaps {
  const cap = (raw: string | undefined, fallback: number) =>
    raw && /^\d{1,10}$/.test(raw.trim()) && Number(raw) > 0 ? Number(raw) : fallback;
  return {
    bodyBytes: cap(vars.MAX_REQUEST_BODY_BYTES, DEFAULT_CAPS.bodyBytes),
    headerBytes: cap(vars.MAX_REQUEST_HEADER_BYTES, DEFAULT_CAPS.headerBytes),
    queryBytes: cap(vars.MAX_QUERY_STRING_BYTES, DEFAULT_CAPS.queryBytes),
    profileAttributes: cap(vars.MAX_PROFILE_ATTRIBUTES, DEFAULT_CAPS.profileAttributes),
    profileStringLength: cap(vars.MAX_PROFILE_STRING_LENGTH, DEFAULT_CAPS.profileStringLength),
  };
}

/** Bytes of the request's headers as sent: each name and value, plus ": " and CRLF. */
export function headerBytes(headers: Headers): number {
  let total = 0;
  for (const [name, value] of headers) total += name.length + value.length + 4;
  return total;
}

/**
 * Refuses a request whose headers or query string are over their caps, or whose declared body
 * is (a body without Content-Length is cut off while it is read, see readCappedBody).
 */
export const requestCaps = createMiddleware<AppEnv>(async (c, next) => {
  const caps = capsFrom(c.env);
  const headers = headerBytes(c.req.raw.headers);
  if (headers > caps.headerBytes)
    throw DomainError.tooLarge(
      431,
      "request headers",
      `The request headers are ${headers} bytes; at most ${caps.headerBytes} are accepted.`,
    );
  const url = c.req.url;
  const queryStart = url.indexOf("?");
  const query = queryStart === -1 ? 0 : new TextEncoder().encode(url.slice(queryStart + 1)).length;
  if (query > caps.queryBytes)
    throw DomainError.tooLarge(414, "query string", `The query string is ${query} bytes; at most ${caps.queryBytes} are accepted.`);
  const declared = Number(c.req.header("Content-Length") ?? "0");
  if (declared > caps.bodyBytes) throw bodyTooLarge(caps.bodyBytes);
  await next();
});

function bodyTooLarge(max: number): DomainError {
  return DomainError.tooLarge(413, "body", `The request body is larger than ${max} bytes.`);
}

/** Reads a body, giving up (413) as soon as it passes `max` bytes, whatever Content-Length said. */
export async function readCappedBody(request: Request, max: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw bodyTooLarge(max);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/**
 * Problems with a profile's size: more attributes than allowed, or a string (an attribute's
 * name, a value, or an element of an array value) longer than allowed. One cause per attribute.
 */
export function profileProblems(
  profile: Record<string, unknown>,
  caps: RequestCaps,
  prefix = "profile",
): { attribute: string; cause: string }[] {
  const problems: { attribute: string; cause: string }[] = [];
  const names = Object.keys(profile);
  if (names.length > caps.profileAttributes) {
    problems.push({ attribute: prefix, cause: `${prefix}: ${names.length} attributes; at most ${caps.profileAttributes} are accepted` });
  }
  for (const name of names) {
    const shown = name.length > 64 ? `${name.slice(0, 64)}...` : name;
    if (name.length > caps.profileStringLength) {
      problems.push({
        attribute: shown,
        cause: `${prefix}: the attribute name ${shown} is longer than ${caps.profileStringLength} characters`,
      });
    } else if (longestString(profile[name], 0) > caps.profileStringLength) {
      problems.push({ attribute: name, cause: `${prefix}.${name}: longer than ${caps.profileStringLength} characters` });
    }
  }
  return problems;
}

/** The longest string in a value (nested arrays and objects included), bounded in depth. */
function longestString(value: unknown, depth: number): number {
  if (typeof value === "string") return value.length;
  if (depth > 8 || value === null || typeof value !== "object") return 0;
  let longest = 0;
  for (const [key, item] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    longest = Math.max(longest, typeof key === "string" ? key.length : 0, longestString(item, depth + 1));
  }
  return longest;
}

/** The profile a request body sets: `profile` of an object body, or the `/profile/<attr>` values of a JSON Patch. */
function profileOf(body: unknown): Record<string, unknown> | undefined {
  if (Array.isArray(body)) {
    const entries = body
      .filter((op): op is { path: string; value?: unknown } => typeof op?.path === "string" && op.path.startsWith("/profile/"))
      .map((op) => [op.path.slice("/profile/".length), op.value] as const);
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }
  const profile = (body as { profile?: unknown } | null)?.profile;
  return profile && typeof profile === "object" && !Array.isArray(profile) ? (profile as Record<string, unknown>) : undefined;
}

/**
 * Refuses (400 E0000001, a cause per attribute) a user or app-user profile over the caps set
 * by MAX_PROFILE_ATTRIBUTES and MAX_PROFILE_STRING_LENGTH. Runs after the body validator.
 */
export const profileCaps = createMiddleware<AppEnv>(async (c, next) => {
  const profile = profileOf(await c.req.json());
  if (profile) {
    const problems = profileProblems(profile, capsFrom(c.env));
    if (problems.length > 0) throw DomainError.validation(problems[0].attribute, ...problems.map((p) => p.cause));
  }
  await next();
});
