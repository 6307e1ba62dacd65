import { DomainError } from "../domain/errors";
import { checkDownstreamUrl, downstreamAccess } from "../provisioning/downstream-url";
import { checkClientKeys, type ClientJwk } from "./client-keys";

// A private_key_jwt client may publish its public keys at `jwks_uri` instead of registering
// them. provisio fetches them through the same outbound rules as provisioning (https to public
// hosts in production, no redirects, a timeout, a size cap), keeps them for a bounded time, and
// fetches again once when an assertion names a key it does not know (the client rotated its keys).

/** Without Cache-Control, keys are kept this long. */
export const JWKS_DEFAULT_TTL_MS = 5 * 60_000;
/** A Cache-Control max-age is honoured within these bounds. */
export const JWKS_MIN_TTL_MS = 60_000;
export const JWKS_MAX_TTL_MS = 60 * 60_000;
/** An unknown kid makes the keys be fetched again, at most this often per client (a forged kid cannot make provisio hammer the client's host). */
export const JWKS_MISS_REFETCH_MS = 10_000;
/** When a refresh fails, keys fetched less than this long ago are still used. */
export const JWKS_STALE_IF_ERROR_MS = 60 * 60_000;
const MAX_JWKS_BYTES = 65_536;
const MAX_CLIENTS = 500;

/** The client's keys could not be had: said without the answer's body. */
export class JwksUnavailable extends Error {
  constructor(readonly description: string) {
    super(description);
    this.name = "JwksUnavailable";
  }
}

export interface LoadedJwks {
  keys: ClientJwk[];
  /** The answer's Cache-Control max-age, if it had one. */
  maxAgeMs?: number;
}

interface Entry {
  keys: ClientJwk[];
  fetchedAt: number;
  expiresAt: number;
  lastMissRefetch: number;
}

/** Keys per client and URI, in this isolate; at most MAX_CLIENTS, the least recently fetched dropped first. */
export class JwksCache {
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The client's keys: cached while fresh, fetched again when stale, and once more when `kid` is not among them. */
  async keysFor(clientId: string, uri: string, kid: string | undefined, load: () => Promise<LoadedJwks>): Promise<ClientJwk[]> {
    const key = `${clientId} ${uri}`;
    const now = this.now();
    const entry = this.#entries.get(key);
    if (!entry || now >= entry.expiresAt) return (await this.#refresh(key, entry, load, now, false)).keys;
    const unknown = kid !== undefined && !entry.keys.some((k) => k.kid === kid);
    if (unknown && now - entry.lastMissRefetch >= JWKS_MISS_REFETCH_MS) return (await this.#refresh(key, entry, load, now, true)).keys;
    return entry.keys;
  }

  async #refresh(key: string, previous: Entry | undefined, load: () => Promise<LoadedJwks>, now: number, miss: boolean): Promise<Entry> {
    if (previous && miss) previous.lastMissRefetch = now;
    let loaded: LoadedJwks;
    try {
      loaded = await load();
    } catch (error) {
      if (previous && now - previous.fetchedAt < JWKS_STALE_IF_ERROR_MS) {
        // Tried again after the shortest TTL, not on every assertion, while the host is failing.
        previous.expiresAt = Math.max(previous.expiresAt, now + JWKS_MIN_TTL_MS);
        return previous;
      }
      throw error;
    }
    const ttl = Math.min(Math.max(loaded.maxAgeMs ?? JWKS_DEFAULT_TTL_MS, JWKS_MIN_TTL_MS), JWKS_MAX_TTL_MS);
    const entry = {
      keys: loaded.keys,
      fetchedAt: now,
      expiresAt: now + ttl,
      lastMissRefetch: miss ? now : (previous?.lastMissRefetch ?? -Infinity),
    };
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > MAX_CLIENTS) this.#entries.delete(this.#entries.keys().next().value!);
    return entry;
  }
}

const cache = new JwksCache();

/** The signing keys a client publishes at `uri`, through this isolate's cache. */
export function clientKeysAt(env: Env, clientId: string, uri: string, kid: string | undefined): Promise<ClientJwk[]> {
  return cache.keysFor(clientId, uri, kid, () => fetchJwks(env, uri));
}

/** Fetches and checks a JWKS: only usable public signing keys (RS256, ES256) are kept; an answer without one is refused. */
export async function fetchJwks(env: Env, uri: string): Promise<LoadedJwks> {
  let url: URL;
  try {
    url = checkDownstreamUrl(uri, downstreamAccess(env.DOWNSTREAM_ACCESS), "jwks_uri");
  } catch (error) {
    if (error instanceof DomainError) throw new JwksUnavailable(`The client's jwks_uri may not be fetched (${error.causes.join("; ")}).`);
    throw error;
  }
  const timeoutMs = Number(env.DOWNSTREAM_TIMEOUT_MS) || 10_000;
  let response: Response;
  let body: string;
  try {
    response = await fetch(url, {
      headers: { Accept: "application/jwk-set+json, application/json" },
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = await readCapped(response, MAX_JWKS_BYTES);
  } catch (error) {
    if (error instanceof JwksUnavailable) throw error;
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    throw new JwksUnavailable(
      timedOut ? `The client's jwks_uri did not answer within ${timeoutMs} ms.` : "The client's jwks_uri could not be reached.",
    );
  }
  if (response.status !== 200) throw new JwksUnavailable(`The client's jwks_uri answered HTTP ${response.status}.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new JwksUnavailable("The client's jwks_uri did not answer a JSON Web Key Set.");
  }
  const listed = parsed && typeof parsed === "object" ? (parsed as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(listed)) throw new JwksUnavailable("The client's jwks_uri did not answer a JSON Web Key Set.");
  const keys: ClientJwk[] = [];
  // Each key on its own: a set may also hold encryption keys or keys of other types, which are skipped.
  for (const candidate of listed.slice(0, 50)) {
    if (candidate && typeof candidate === "object" && (candidate as { use?: unknown }).use === "enc") continue;
    const checked = await checkClientKeys([candidate], "jwks.keys");
    if (checked.problems.length === 0) keys.push(...checked.keys.filter((k) => k.status === "ACTIVE"));
  }
  if (keys.length === 0) throw new JwksUnavailable("The client's jwks_uri lists no usable public signing key (RS256 or ES256).");
  return { keys, ...maxAgeOf(response.headers.get("Cache-Control")) };
}

function maxAgeOf(cacheControl: string | null): { maxAgeMs?: number } {
  if (!cacheControl) return {};
  if (/\b(no-store|no-cache)\b/i.test(cacheControl)) return { maxAgeMs: 0 };
  const match = /\bmax-age\s*=\s*(\d+)/i.exec(cacheControl);
  return match ? { maxAgeMs: Number(match[1]) * 1000 } : {};
}

async function readCapped(response: Response, max: number): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new JwksUnavailable(`The client's JWKS is larger than ${max} bytes.`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
