import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { open, seal } from "../crypto/secret-box";
import type { DB } from "../db/client";
import { insertCurrentSigningKey, listSigningKeys, retireSigningKey } from "../db/queries/oauth";
import type { OAuthSigningKeyRow } from "../db/schema";

export const TOKEN_ALG = "ES256";
/** How long an isolate keeps the keys it read before reading D1 again. */
const CACHE_MS = 10 * 60_000;
/** An unknown kid makes the keys be read again, at most this often (a forged kid cannot make every request read D1). */
const MISS_RELOAD_MS = 30_000;

export interface KeyRing {
  kid: string;
  privateKey: CryptoKey;
  publicKeys: Map<string, CryptoKey>;
  /** The published JWKS: public members only. */
  jwks: { keys: JWK[] };
  loadedAt: number;
}

let cached: { secret: string; ring: Promise<KeyRing> } | undefined;

/**
 * provisio's token-signing keys. The first use generates an ES256 key pair and stores it in D1
 * with the private JWK sealed under CREDENTIALS_KEY; the slot index keeps one current key even
 * when isolates race to create it, and each one then signs with the key D1 kept. Every isolate
 * (and every restart) reads the same keys, so a token signed by one verifies in all.
 */
export async function keyRing(env: Env, db: DB, options: { kidMissing?: string } = {}): Promise<KeyRing> {
  const now = Date.now();
  if (cached && cached.secret === env.CREDENTIALS_KEY) {
    const ring = await cached.ring.catch(() => undefined);
    const fresh = ring && now - ring.loadedAt < CACHE_MS;
    const missed = ring && options.kidMissing !== undefined && !ring.publicKeys.has(options.kidMissing);
    if (ring && fresh && (!missed || now - ring.loadedAt < MISS_RELOAD_MS)) return ring;
  }
  const ring = load(env, db);
  cached = { secret: env.CREDENTIALS_KEY, ring };
  return ring;
}

async function load(env: Env, db: DB): Promise<KeyRing> {
  let rows = await listSigningKeys(db);
  if (!rows.some((row) => row.slot === "current")) {
    await insertCurrentSigningKey(db, await newKeyRow(env));
    rows = await listSigningKeys(db);
  }
  let current = rows.find((row) => row.slot === "current");
  let privateJwk = current && (await openPrivate(env, current));
  if (current && !privateJwk) {
    // CREDENTIALS_KEY was rotated: the current key cannot sign any more. It is retired (its public
    // half still verifies the tokens it signed) and a new one takes the slot; racing isolates
    // retire the same row and keep one new key, as for the first one.
    console.warn(JSON.stringify({ event: "oauth.signing_key.replaced", kid: current.kid, reason: "sealed with another CREDENTIALS_KEY" }));
    await retireSigningKey(db, current.kid);
    await insertCurrentSigningKey(db, await newKeyRow(env));
    rows = await listSigningKeys(db);
    current = rows.find((row) => row.slot === "current");
    privateJwk = current && (await openPrivate(env, current));
  }
  if (!current || !privateJwk) throw new Error("no usable OAuth signing key");
  const publicKeys = new Map<string, CryptoKey>();
  for (const row of rows) publicKeys.set(row.kid, (await importJWK(row.publicJwk as JWK, row.alg)) as CryptoKey);
  return {
    kid: current.kid,
    privateKey: (await importJWK(privateJwk, current.alg)) as CryptoKey,
    publicKeys,
    jwks: { keys: rows.map((row) => row.publicJwk as JWK) },
    loadedAt: Date.now(),
  };
}

async function openPrivate(env: Env, row: OAuthSigningKeyRow): Promise<JWK | undefined> {
  try {
    return JSON.parse(await open(env.CREDENTIALS_KEY, row.privateJwkBox)) as JWK;
  } catch {
    return undefined;
  }
}

async function newKeyRow(env: Env): Promise<OAuthSigningKeyRow> {
  const { publicKey, privateKey } = await generateKeyPair(TOKEN_ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  return {
    kid,
    alg: TOKEN_ALG,
    publicJwk: { kty: publicJwk.kty, crv: publicJwk.crv, x: publicJwk.x, y: publicJwk.y, kid, alg: TOKEN_ALG, use: "sig" },
    privateJwkBox: await seal(env.CREDENTIALS_KEY, JSON.stringify(privateJwk)),
    slot: "current",
    created: new Date(),
  };
}
