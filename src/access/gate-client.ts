import { writeLog } from "../audit/system-log";
import { createDb } from "../db/client";
import { findTokenByHash, recordTokenUse, seedBootstrapToken } from "../db/queries/api-tokens";
import { bootstrapRow, judgeToken, useToRecord, type RefusalReason } from "../domain/api-tokens";
import { isTokenRevoked, loadClient } from "../db/queries/oauth";
import { judgeClient } from "../oauth/client-state";
import type { Admission, AdmitRequest, ClientAdmission, ClientAdmitRequest, TokenStanding } from "./access-gate";
import type { Bucket, LimitConfig } from "./rate-limits";

/** A token's gate is named by its hash; failed authentications are counted by client address. */
export const tokenGate = (env: Env, tokenHash: string) => env.ACCESS_GATE.getByName(`token:${tokenHash}`);
/** An OAuth client's gate is named by its client id (the app id). */
export const clientGate = (env: Env, clientId: string) => env.ACCESS_GATE.getByName(`oauth-client:${clientId}`);
const failureGate = (env: Env, address: string) => env.ACCESS_GATE.getByName(`auth-failure:${address}`);
const failureLogGate = (env: Env) => env.ACCESS_GATE.getByName("auth-failure-log");

/**
 * Asks the token's gate, which lets the token in and counts the request in one call. With rate
 * limiting off (limit 0) there is nothing to count and D1 decides alone. If the gate cannot
 * answer (an object reset by a deploy, an overloaded object), D1 decides too and the request
 * goes uncounted: a limiter outage must not lock every client out.
 */
export async function admit(env: Env, request: AdmitRequest): Promise<Admission> {
  if (request.limit <= 0) return admitFromD1(env, request);
  try {
    return (await tokenGate(env, request.tokenHash).admit(request)) as Admission;
  } catch (error) {
    console.error(JSON.stringify({ event: "access_gate.unavailable", reason: error instanceof Error ? error.message : String(error) }));
    return admitFromD1(env, request);
  }
}

async function admitFromD1(env: Env, request: AdmitRequest): Promise<Admission> {
  const db = createDb(env.DB);
  let row = await findTokenByHash(db, request.tokenHash);
  if (!row && request.bootstrap) {
    await seedBootstrapToken(db, bootstrapRow(request.tokenHash, new Date()));
    row = await findTokenByHash(db, request.tokenHash);
  }
  const now = Date.now();
  const verdict = judgeToken(row, request.bootstrap, now);
  const use = verdict.ok && row ? useToRecord(row, now) : undefined;
  if (use && row) await recordTokenUse(db, row.id, use);
  return verdict;
}

/**
 * Asks an OAuth client's gate whether its token is honoured, with which scopes, and counts the
 * request. If the gate cannot answer, D1 decides alone and the request goes uncounted (and a DPoP
 * proof's jti unchecked: the token stays bound to its key), as for API tokens.
 */
export async function admitClient(env: Env, request: ClientAdmitRequest): Promise<ClientAdmission> {
  try {
    return (await clientGate(env, request.clientId).admitClient(request)) as ClientAdmission;
  } catch (error) {
    console.error(JSON.stringify({ event: "access_gate.unavailable", reason: error instanceof Error ? error.message : String(error) }));
    const db = createDb(env.DB);
    // A revoked token stays refused: D1 keeps its own copy of the revocation list.
    if (request.tokenId !== undefined && (await isTokenRevoked(db, request.tokenId))) return { ok: false, reason: "token_revoked" };
    return judgeClient(await loadClient(db, request.clientId));
  }
}

/** Revokes an access token at its client's gate; throws when the gate cannot answer (the caller says so). */
export async function revokeAtGate(env: Env, clientId: string, tokenId: string, expiresAt: number): Promise<void> {
  await clientGate(env, clientId).revokeToken(tokenId, expiresAt);
}

/** A token's standing for introspection: from its client's gate, or from D1 when the gate cannot answer. */
export async function tokenStanding(env: Env, clientId: string, tokenId: string): Promise<TokenStanding> {
  try {
    return (await clientGate(env, clientId).inspectToken(clientId, tokenId)) as TokenStanding;
  } catch (error) {
    console.error(JSON.stringify({ event: "access_gate.unavailable", reason: error instanceof Error ? error.message : String(error) }));
    const db = createDb(env.DB);
    const [client, revoked] = await Promise.all([loadClient(db, clientId), isTokenRevoked(db, tokenId)]);
    return { verdict: judgeClient(client), revoked };
  }
}

/** Uses up an assertion's (or a token request's DPoP proof) jti for the client: false for a replay; throws when the gate cannot answer. */
export async function useOnce(env: Env, clientId: string, key: string, expiresAt: number): Promise<boolean> {
  return clientGate(env, clientId).useOnce(key, expiresAt);
}

/** Counts a token request against the client's token-endpoint window; undefined when the gate cannot answer. */
export async function countTokenRequest(env: Env, clientId: string, limit: number, windowMs: number): Promise<Bucket | undefined> {
  try {
    return await clientGate(env, clientId).countClient("token", limit, windowMs);
  } catch {
    return undefined;
  }
}

/** Tells a client's gate its app or grants changed. Best effort: the gate re-reads D1 within a minute anyway. */
export async function forgetClient(env: Env, clientId: string): Promise<void> {
  try {
    await clientGate(env, clientId).forget();
  } catch (error) {
    console.error(
      JSON.stringify({ event: "access_gate.forget_failed", clientId, reason: error instanceof Error ? error.message : String(error) }),
    );
  }
}

/** Counts a failed authentication from a client address; undefined when the gate cannot answer. */
export async function countAuthFailure(env: Env, address: string, limits: LimitConfig): Promise<Bucket | undefined> {
  try {
    return await failureGate(env, address).count("auth-failure", limits.authFailures, limits.windowMs);
  } catch {
    return undefined;
  }
}

/**
 * Counts a sign-in attempt (My Apps) against a subject's window (a client address, or a login's
 * hash), before the password is checked: past the limit no password is tried at all. Undefined
 * when the gate cannot answer (the attempt then goes uncounted, as for API calls).
 */
export async function countSignInAttempt(env: Env, subject: string, limits: LimitConfig): Promise<Bucket | undefined> {
  try {
    return await failureGate(env, subject).count("sign-in", limits.authFailures, limits.windowMs);
  } catch {
    return undefined;
  }
}

/** Takes one event from the org-wide budget of failed-authentication log events; false when it is spent. */
export async function takeAuthFailureLogBudget(env: Env, limits: LimitConfig): Promise<boolean> {
  if (limits.authFailureLogs <= 0) return false;
  return !(await failureLogGate(env).count("auth-failure-log", limits.authFailureLogs, limits.windowMs)).exceeded;
}

export interface AuthFailure {
  reason: RefusalReason;
  /** The API token's id, or for an OAuth access token its client id. */
  tokenId?: string;
  address: string;
  method: string;
  path: string;
  /** The Authorization scheme word ("SSWS", "Bearer", "DPoP"), never its value. */
  scheme: string;
  requestId: string;
}

const REASONS: Record<RefusalReason, string> = {
  missing: "no Authorization header",
  malformed: "not an SSWS, Bearer or DPoP token",
  unknown: "unknown token",
  revoked: "revoked token",
  expired: "expired token",
  rotated: "replaced bootstrap token",
  invalid_token: "invalid or expired access token",
  invalid_dpop_proof: "invalid DPoP proof",
  client_inactive: "OAuth client unknown, inactive or no longer authenticating with a method provisio accepts",
  token_revoked: "revoked access token",
};

/**
 * Writes Okta's `user.authentication.auth` FAILURE event for a refused request, unless the
 * org-wide budget of such events for this window is spent. Never throws; never sees the token.
 */
export async function logAuthFailure(env: Env, limits: LimitConfig, failure: AuthFailure): Promise<void> {
  try {
    if (!(await takeAuthFailureLogBudget(env, limits))) return;
    const actorId = failure.tokenId ?? "unknown";
    // A refused OAuth access token names its client (when its signature was good), an SSWS one its token.
    const oauth = /^(bearer|dpop)$/i.test(failure.scheme);
    await writeLog(createDb(env.DB), [
      {
        eventType: "user.authentication.auth",
        displayMessage: "Authenticate an API request",
        severity: "WARN",
        outcome: { result: "FAILURE", reason: REASONS[failure.reason] },
        actor: {
          id: actorId,
          type: oauth ? "PublicClientApp" : "Token",
          alternateId: actorId,
          displayName: failure.tokenId ? (oauth ? "OAuth client" : "API token") : "unknown",
        },
        requestId: failure.requestId,
        details: {
          requestMethod: failure.method,
          requestUri: failure.path.slice(0, 512),
          authScheme: failure.scheme.slice(0, 32),
          clientAddress: failure.address,
        },
      },
    ]);
  } catch (error) {
    console.error(JSON.stringify({ event: "auth_failure.log_failed", reason: error instanceof Error ? error.message : String(error) }));
  }
}
