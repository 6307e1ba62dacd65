import { createMiddleware } from "hono/factory";
import { DomainError } from "../domain/errors";
import { hashToken, sameHash } from "../crypto/token-hash";
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
  | "okta.inlineHooks.manage";

/** Who is calling. SSWS API tokens carry every scope, as in Okta; OAuth tokens (later) carry their grants. */
export type Principal = { kind: "ssws"; tokenHash: string } | { kind: "oauth"; clientId: string; scopes: OktaScope[] };

const bootstrapHashes = new Map<string, Promise<string>>();

function bootstrapHash(token: string): Promise<string> {
  let hash = bootstrapHashes.get(token);
  if (!hash) {
    hash = hashToken(token);
    bootstrapHashes.set(token, hash);
  }
  return hash;
}

/** `Authorization: SSWS <token>`; anything else is 401 E0000011, which the Okta SDK understands. */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("Authorization") ?? "";
  const match = /^SSWS\s+(\S+)\s*$/i.exec(header);
  const configured = c.env.BOOTSTRAP_API_TOKEN;
  if (!match || !configured) throw new DomainError("E0000011");
  const presented = await hashToken(match[1]);
  if (!sameHash(presented, await bootstrapHash(configured))) throw new DomainError("E0000011");
  c.set("principal", { kind: "ssws", tokenHash: presented });
  await next();
});

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
