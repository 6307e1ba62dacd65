import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { DomainError } from "../domain/errors";
import { hashToken, sameHash } from "../crypto/token-hash";
import { admit, countAuthFailure, logAuthFailure } from "../access/gate-client";
import { clientAddressKey, familyOf, limitsFrom, type Bucket } from "../access/rate-limits";
import type { RefusalReason } from "../domain/api-tokens";
import type { AppEnv } from "./context";

/** Okta's management scopes (okta-reference.md §15.1) that provisio's routes declare. */
export type OktaScope =
  | "okta.users.read"
  | "okta.users.manage"
  | "okta.groups.read"
  | "okta.groups.manage"
  | "okta.apps.read"
  | "okta.apps.manage"
  | "okta.schemas.read"
  | "okta.schemas.manage"
  | "okta.profileMappings.read"
  | "okta.profileMappings.manage"
  | "okta.logs.read"
  | "okta.inlineHooks.read"
  | "okta.inlineHooks.manage"
  | "okta.apiTokens.read"
  | "okta.apiTokens.manage";

/** Who is calling. SSWS API tokens carry every scope, as in Okta; OAuth tokens (later) carry their grants. */
export type Principal = { kind: "ssws"; tokenHash: string; tokenId: string } | { kind: "oauth"; clientId: string; scopes: OktaScope[] };

const bootstrapHashes = new Map<string, Promise<string>>();

function bootstrapHash(token: string): Promise<string> {
  let hash = bootstrapHashes.get(token);
  if (!hash) {
    hash = hashToken(token);
    bootstrapHashes.set(token, hash);
  }
  return hash;
}

const SSWS = /^SSWS\s+(\S+)\s*$/i;

/** Okta's rate-limit headers; Date too, which the Okta SDK needs to compute its wait after a 429. */
function setRateHeaders(c: Context<AppEnv>, bucket: Bucket): void {
  c.header("X-Rate-Limit-Limit", String(bucket.limit));
  c.header("X-Rate-Limit-Remaining", String(bucket.remaining));
  c.header("X-Rate-Limit-Reset", String(bucket.reset));
}

/**
 * `Authorization: SSWS <token>`; anything else is 401 E0000011, which the Okta SDK understands.
 * The token's gate (one Durable Object call) both lets it in and counts the request against
 * its endpoint family's window: past the limit the answer is 429 E0000047.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  c.header("Date", new Date().toUTCString());
  const limits = limitsFrom(c.env);
  const header = c.req.header("Authorization");
  const match = header ? SSWS.exec(header) : null;
  if (!match) return refuse(c, header ? "malformed" : "missing", undefined);
  const tokenHash = await hashToken(match[1]);
  const configured = c.env.BOOTSTRAP_API_TOKEN;
  const bootstrap = Boolean(configured) && sameHash(tokenHash, await bootstrapHash(configured));
  const family = familyOf(c.req.path);
  const admission = await admit(c.env, { tokenHash, bootstrap, family, limit: limits.perFamily[family], windowMs: limits.windowMs });
  if (!admission.ok) return refuse(c, admission.reason, admission.tokenId);
  if (admission.bucket) {
    setRateHeaders(c, admission.bucket);
    if (admission.bucket.exceeded) throw new DomainError("E0000047");
  }
  c.set("principal", { kind: "ssws", tokenHash, tokenId: admission.tokenId });
  await next();
});

/**
 * 401 E0000011, counted per client address (past AUTH_FAILURES_PER_MINUTE the answer is 429)
 * and recorded in the System Log after the response, within AUTH_FAILURE_LOGS_PER_MINUTE
 * events org-wide, so failed calls can neither flood the log nor slow the answer.
 */
async function refuse(c: Context<AppEnv>, reason: RefusalReason, tokenId: string | undefined): Promise<never> {
  const limits = limitsFrom(c.env);
  const address = clientAddressKey(c.req.header("CF-Connecting-IP"));
  if (limits.authFailures > 0) {
    const bucket = await countAuthFailure(c.env, address, limits);
    if (bucket) {
      setRateHeaders(c, bucket);
      if (bucket.exceeded) throw new DomainError("E0000047");
    }
  }
  afterResponse(
    c,
    logAuthFailure(c.env, limits, {
      reason,
      tokenId,
      address,
      method: c.req.method,
      path: c.req.path,
      scheme: c.req.header("Authorization")?.split(/\s/, 1)[0] ?? "",
      requestId: c.get("requestId"),
    }),
  );
  throw new DomainError("E0000011");
}

/** Lets work finish after the response (waitUntil); without an execution context (unit tests) it is awaited. */
function afterResponse(c: Context<AppEnv>, work: Promise<void>): void {
  let ctx: ExecutionContext | undefined;
  try {
    ctx = c.executionCtx as ExecutionContext;
  } catch {
    ctx = undefined;
  }
  if (ctx) ctx.waitUntil(work);
  else void work;
}

export const SCOPE_MARK = Symbol.for("provisio.scope");

/**
 * Declares the Okta scope a route needs and refuses principals without it (403 E0000006).
 * The returned middleware is marked so a test can prove that every route declares one.
 */
export function requireScope(scope: OktaScope) {
  const middleware = createMiddleware<AppEnv>(async (c, next) => {
    const principal = c.get("principal");
    if (principal.kind === "oauth" && !principal.scopes.includes(scope)) throw new DomainError("E0000006");
    await next();
  });
  return Object.assign(middleware, { [SCOPE_MARK]: scope });
}
