import type { Context } from "hono";
import type { AuditContext, LogActor, LogClient } from "../audit/system-log";
import { tokenWithOwner } from "../db/queries/api-tokens";
import type { DB } from "../db/client";
import type { Principal } from "./auth";
import type { AppEnv } from "./context";

/**
 * The System Log's view of an API request: its X-Okta-Request-Id, who made it (actor) and from
 * where (client). Okta attributes an SSWS token's actions to the admin user the token belongs to
 * (actor type `User`) and names the token in `transaction.detail.requestApiTokenId`; a provisio
 * token recorded against no user (the bootstrap token, or one minted without `userId`) is its
 * own actor, type `Token`, as in the auth-failure events. An OAuth service app is Okta's
 * `PublicClientApp` actor, its client id also in `client.id`.
 */
export async function auditOf(c: Context<AppEnv>): Promise<AuditContext> {
  let pending = contexts.get(c.req.raw);
  if (!pending) {
    pending = build(c);
    contexts.set(c.req.raw, pending);
  }
  return pending;
}

const contexts = new WeakMap<Request, Promise<AuditContext>>();

async function build(c: Context<AppEnv>): Promise<AuditContext> {
  const principal = c.get("principal") as Principal | undefined;
  const client = clientOf(c);
  const requestId = c.get("requestId");
  if (!principal) return { requestId, client };
  if (principal.kind === "oauth") {
    const actor = { id: principal.clientId, type: "PublicClientApp", alternateId: principal.clientId, displayName: principal.clientId };
    return { requestId, actor, client: { ...client, id: principal.clientId } };
  }
  return { requestId, actor: await tokenActor(c.get("db"), principal.tokenId), client, apiTokenId: principal.tokenId };
}

function clientOf(c: Context<AppEnv>): LogClient {
  const ipAddress = c.req.header("CF-Connecting-IP");
  const userAgent = c.req.header("User-Agent");
  return {
    ...(ipAddress ? { ipAddress: ipAddress.slice(0, 64) } : {}),
    ...(userAgent ? { userAgent: { rawUserAgent: userAgent.slice(0, 512) } } : {}),
  };
}

// A token's actor changes only when it is renamed or its user is: kept a minute per isolate, so
// a burst of writes costs one read.
const ACTOR_TTL_MS = 60_000;
const actors = new Map<string, { actor: LogActor; until: number }>();

async function tokenActor(db: DB, tokenId: string): Promise<LogActor> {
  const cached = actors.get(tokenId);
  if (cached && cached.until > Date.now()) return cached.actor;
  const fallback: LogActor = { id: tokenId, type: "Token", alternateId: tokenId, displayName: "API token" };
  let actor = fallback;
  try {
    const row = await tokenWithOwner(db, tokenId);
    if (row?.userId) {
      const name = [row.firstName, row.lastName].filter(Boolean).join(" ");
      actor = {
        id: row.userId,
        type: "User",
        alternateId: row.login ?? row.userId,
        displayName: name || (row.login ?? row.userId),
        detailEntry: { apiTokenId: tokenId, apiTokenName: row.name },
      };
    } else if (row) {
      actor = { id: tokenId, type: "Token", alternateId: tokenId, displayName: row.name };
    }
  } catch {
    // The actor is a nicety on top of the token id: a failed read must not fail the request.
    return fallback;
  }
  if (actors.size > 1_000) actors.clear();
  actors.set(tokenId, { actor, until: Date.now() + ACTOR_TTL_MS });
  return actor;
}
