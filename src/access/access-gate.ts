import { DurableObject } from "cloudflare:workers";
import { createDb, type DB } from "../db/client";
import type { ApiTokenRow } from "../db/schema";
import { findTokenByHash, recordTokenUse, seedBootstrapToken } from "../db/queries/api-tokens";
import { loadClient } from "../db/queries/oauth";
import { judgeClient, type ClientState, type ClientVerdict } from "../oauth/client-state";
import { bootstrapRow, judgeToken, useToRecord, type TokenVerdict } from "../domain/api-tokens";
import { take, type Bucket, type Window } from "./rate-limits";

/** How long a gate trusts what it read of its token before reading D1 again (revocations made through it apply at once). */
const RECHECK_MS = 60_000;
const WINDOW_PREFIX = "window:";
const ONCE_PREFIX = "once:";
/** Access tokens of this client revoked before their expiry (RFC 7009), by jti, with their exp. */
const REVOKED_TOKEN_PREFIX = "revoked-token:";
/** How often the used-once values (assertion and DPoP proof jti) are swept of expired entries. */
const SWEEP_MS = 30_000;

export interface AdmitRequest {
  tokenHash: string;
  /** The value equals the configured BOOTSTRAP_API_TOKEN (the Worker compares; the value never leaves it). */
  bootstrap: boolean;
  family: string;
  /** Requests per window; 0 means no limit (and no bucket in the answer). */
  limit: number;
  windowMs: number;
}

export type Admission = TokenVerdict & { bucket?: Bucket };

export interface ClientAdmitRequest {
  clientId: string;
  family: string;
  /** Requests per window; 0 means no limit (and no bucket in the answer). */
  limit: number;
  windowMs: number;
  /** A value this client may use once until it expires (a DPoP proof's jti): a second use is refused. */
  once?: { key: string; expiresAt: number };
  /** The access token's jti: a revoked token is refused. */
  tokenId?: string;
}

export type ClientAdmission = (ClientVerdict & { bucket?: Bucket }) | { ok: false; reason: "replayed" | "token_revoked" };

/** What introspection needs of a token's client: whether it is honoured (and with which scopes) and whether the token was revoked. */
export type TokenStanding = { verdict: ClientVerdict; revoked: boolean };

/**
 * One per API token, named by the token's SHA-256 hash; one per OAuth client, named by its client
 * id (its rate-limit windows, the state of its app and grants, and the assertion and DPoP proof
 * ids it has used, see `admitClient` and `useOnce`); and one per client address for failed
 * authentications (see `count`). A single call per request both decides whether the token is
 * let in and counts the request against the token's per-family window, so the limiter adds no
 * D1 query: the gate reads its token row once a minute at most.
 *
 * A Durable Object is one instance worldwide, so every isolate counts against the same numbers.
 * The counters are served from memory and written through to the object's storage without
 * holding the answer for the write (allowUnconfirmed), so they survive an eviction or a deploy.
 * A revocation is also written to the object's own storage, so it holds even if D1's update failed.
 */
export class AccessGate extends DurableObject<Env> {
  #db: DB;
  #windows = new Map<string, Window>();
  #row: ApiTokenRow | undefined;
  #loadedAt = -Infinity;
  #loading: Promise<ApiTokenRow | undefined> | undefined;
  #revoked: boolean;
  #client: ClientState | undefined;
  #clientLoadedAt = -Infinity;
  #clientLoading: Promise<ClientState | undefined> | undefined;
  #clientGeneration = 0;
  #used = new Map<string, number>();
  #revokedTokens = new Map<string, number>();
  #sweptAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#db = createDb(env.DB);
    this.#revoked = ctx.storage.kv.get<boolean>("revoked") === true;
    for (const [key, window] of ctx.storage.kv.list<Window>({ prefix: WINDOW_PREFIX })) {
      this.#windows.set(key.slice(WINDOW_PREFIX.length), window);
    }
    for (const [key, expiresAt] of ctx.storage.kv.list<number>({ prefix: ONCE_PREFIX })) {
      this.#used.set(key.slice(ONCE_PREFIX.length), expiresAt);
    }
    for (const [key, expiresAt] of ctx.storage.kv.list<number>({ prefix: REVOKED_TOKEN_PREFIX })) {
      this.#revokedTokens.set(key.slice(REVOKED_TOKEN_PREFIX.length), expiresAt);
    }
  }

  /** Lets a token in (or says why not) and counts the request in its family's window. */
  async admit(request: AdmitRequest): Promise<Admission> {
    const row = await this.#tokenRow(request.tokenHash, request.bootstrap);
    const now = Date.now();
    const verdict =
      this.#revoked && row ? { ok: false as const, reason: "revoked" as const, tokenId: row.id } : judgeToken(row, request.bootstrap, now);
    if (!verdict.ok || !row) return verdict;
    this.#recordUse(row, now);
    if (request.limit <= 0) return verdict;
    return { ...verdict, bucket: this.#take(request.family, request.limit, request.windowMs, now) };
  }

  /**
   * Lets an OAuth client's access token in: the client's app must still be an active
   * private_key_jwt client (re-read from D1 at most once a minute, or at once after `forget`),
   * and the answer carries the scopes granted now, so a revoked grant stops working within a
   * minute, or at once when it is revoked through the API. Counts the request in the family's
   * window and, when given, uses up the DPoP proof's jti.
   */
  async admitClient(request: ClientAdmitRequest): Promise<ClientAdmission> {
    const verdict = judgeClient(await this.#clientState(request.clientId));
    if (!verdict.ok) return verdict;
    const now = Date.now();
    if (request.tokenId !== undefined && this.#isRevoked(request.tokenId, now)) return { ok: false, reason: "token_revoked" };
    let bucket: Bucket | undefined;
    if (request.limit > 0) {
      bucket = this.#take(request.family, request.limit, request.windowMs, now);
      if (bucket.exceeded) return { ...verdict, bucket };
    }
    if (request.once && !this.#useOnce(request.once.key, request.once.expiresAt, now)) return { ok: false, reason: "replayed" };
    return bucket ? { ...verdict, bucket } : verdict;
  }

  /**
   * Uses up a value (a client assertion's or a token request's DPoP proof jti) until it expires:
   * true the first time, false for a replay. Written to the object's storage before the answer
   * leaves (the output gate), so a replay is refused across isolates, evictions and deploys.
   */
  async useOnce(key: string, expiresAt: number): Promise<boolean> {
    return this.#useOnce(key, expiresAt, Date.now());
  }

  /**
   * Revokes one of this client's access tokens until it expires (RFC 7009). Written to the
   * object's storage before the answer leaves, so every isolate refuses the token from then on.
   */
  async revokeToken(tokenId: string, expiresAt: number): Promise<void> {
    const now = Date.now();
    if (now - this.#sweptAt > SWEEP_MS) this.#sweep(now);
    this.#revokedTokens.set(tokenId, expiresAt);
    this.ctx.storage.kv.put(REVOKED_TOKEN_PREFIX + tokenId, expiresAt);
  }

  /** Introspection: the client's standing and the token's, without counting a request. */
  async inspectToken(clientId: string, tokenId: string): Promise<TokenStanding> {
    return { verdict: judgeClient(await this.#clientState(clientId)), revoked: this.#isRevoked(tokenId, Date.now()) };
  }

  #isRevoked(tokenId: string, now: number): boolean {
    const expiresAt = this.#revokedTokens.get(tokenId);
    return expiresAt !== undefined && expiresAt > now;
  }

  /** Counts a request in a window of its own (the token endpoint's, per client). */
  async countClient(key: string, limit: number, windowMs: number): Promise<Bucket> {
    return this.#take(key, limit, windowMs, Date.now());
  }

  /** The client's app or grants changed: read them again on the next request. */
  async forget(): Promise<void> {
    // A read already under way may predate the change: its answer is not kept.
    this.#clientGeneration += 1;
    this.#clientLoadedAt = -Infinity;
    this.#client = undefined;
    this.#clientLoading = undefined;
  }

  #useOnce(key: string, expiresAt: number, now: number): boolean {
    if (now - this.#sweptAt > SWEEP_MS) this.#sweep(now);
    const seen = this.#used.get(key);
    if (seen !== undefined && seen > now) return false;
    this.#used.set(key, expiresAt);
    this.ctx.storage.kv.put(ONCE_PREFIX + key, expiresAt);
    return true;
  }

  #sweep(now: number): void {
    this.#sweptAt = now;
    for (const [key, expiresAt] of this.#used) {
      if (expiresAt > now) continue;
      this.#used.delete(key);
      this.ctx.storage.kv.delete(ONCE_PREFIX + key);
    }
    // A revoked token that has expired is refused for being expired; its entry can go.
    for (const [tokenId, expiresAt] of this.#revokedTokens) {
      if (expiresAt > now) continue;
      this.#revokedTokens.delete(tokenId);
      this.ctx.storage.kv.delete(REVOKED_TOKEN_PREFIX + tokenId);
    }
  }

  async #clientState(clientId: string): Promise<ClientState | undefined> {
    if (Date.now() - this.#clientLoadedAt < RECHECK_MS) return this.#client;
    if (!this.#clientLoading) {
      const generation = this.#clientGeneration;
      const loading = loadClient(this.#db, clientId)
        .then((loaded) => {
          if (generation === this.#clientGeneration) {
            this.#client = loaded;
            this.#clientLoadedAt = Date.now();
          }
          return loaded;
        })
        .finally(() => {
          if (this.#clientLoading === loading) this.#clientLoading = undefined;
        });
      this.#clientLoading = loading;
    }
    return this.#clientLoading;
  }

  /** A plain counter (failed authentications per client address, their log events org-wide). */
  async count(key: string, limit: number, windowMs: number): Promise<Bucket> {
    return this.#take(key, limit, windowMs, Date.now());
  }

  /** Refuses the token from now on, whatever D1 says. */
  async revoke(): Promise<void> {
    this.ctx.storage.kv.put("revoked", true);
    this.#revoked = true;
  }

  #take(key: string, limit: number, windowMs: number, now: number): Bucket {
    const bucket = take(this.#windows, key, limit, windowMs, now);
    // A refused request changes nothing; a counted one is written through, not awaited.
    if (!bucket.exceeded) void this.ctx.storage.put(WINDOW_PREFIX + key, this.#windows.get(key), { allowUnconfirmed: true });
    return bucket;
  }

  async #tokenRow(tokenHash: string, bootstrap: boolean): Promise<ApiTokenRow | undefined> {
    if (Date.now() - this.#loadedAt < RECHECK_MS) return this.#row;
    // Requests arriving while D1 is read wait for the same read.
    this.#loading ??= this.#load(tokenHash, bootstrap).finally(() => (this.#loading = undefined));
    return this.#loading;
  }

  async #load(tokenHash: string, bootstrap: boolean): Promise<ApiTokenRow | undefined> {
    let row = await findTokenByHash(this.#db, tokenHash);
    if (!row && bootstrap) {
      await seedBootstrapToken(this.#db, bootstrapRow(tokenHash, new Date()));
      row = await findTokenByHash(this.#db, tokenHash);
    }
    this.#row = row;
    this.#loadedAt = Date.now();
    return row;
  }

  /** Renews the token's sliding window in D1, at most once an hour and never on the request's path. */
  #recordUse(row: ApiTokenRow, now: number): void {
    const use = useToRecord(row, now);
    if (!use) return;
    Object.assign(row, use);
    this.ctx.waitUntil(
      recordTokenUse(this.#db, row.id, use).catch((error: unknown) => {
        console.error(JSON.stringify({ event: "api_token.record_use_failed", tokenId: row.id, reason: String(error) }));
      }),
    );
  }
}
