import { exports } from "cloudflare:workers";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";
import { expect } from "vitest";
import { api, ORIGIN, unique } from "./api";

// OAuth 2.0 service clients for tests: key pairs, registration, client assertions, and calls to
// the org authorization server's endpoints (form-encoded, each from an address of its own).

export const TOKEN_URL = `${ORIGIN}/oauth2/v1/token`;

// Refused calls count against the caller's address (30 a minute by default): each call here comes
// from an address of its own (IPv6 documentation prefix), so refusals in one test never add up.
export const someAddress = () => `2001:db8:${[...crypto.getRandomValues(new Uint16Array(2))].map((n) => n.toString(16)).join(":")}::1`;
export const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export interface KeyPair {
  alg: "RS256" | "ES256";
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function keyPair(alg: "RS256" | "ES256", kid = unique("kid-")): Promise<KeyPair> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid } };
}

export function serviceApp(keys: JWK[], overrides: { settings?: Record<string, unknown>; credentials?: Record<string, unknown> } = {}) {
  return {
    label: unique("Service "),
    signOnMode: "OPENID_CONNECT",
    credentials: { oauthClient: { token_endpoint_auth_method: "private_key_jwt", ...overrides.credentials } },
    settings: {
      oauthClient: { grant_types: ["client_credentials"], application_type: "service", jwks: { keys }, ...overrides.settings },
    },
  };
}

/** A registered service client with the given keys and granted scopes. */
export async function client(scopes: string[], keys: KeyPair[] = [], settings: Record<string, unknown> = {}) {
  const pairs = keys.length > 0 ? keys : [await keyPair("RS256")];
  const res = await api(
    "POST",
    "/api/v1/apps",
    serviceApp(
      pairs.map((k) => k.publicJwk),
      { settings },
    ),
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  for (const scopeId of scopes) {
    const grant = await api("POST", `/api/v1/apps/${res.body.id}/grants`, { issuer: ORIGIN, scopeId });
    expect(grant.status, JSON.stringify(grant.body)).toBe(201);
  }
  return { id: res.body.id as string, app: res.body, keys: pairs };
}

export async function assertion(
  key: KeyPair,
  clientId: string,
  changes: { claims?: JWTPayload; header?: Record<string, unknown>; omit?: string[] } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = {
    iss: clientId,
    sub: clientId,
    aud: TOKEN_URL,
    iat: now,
    exp: now + 300,
    jti: crypto.randomUUID(),
    ...changes.claims,
  };
  for (const name of changes.omit ?? []) delete claims[name];
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...changes.header }).sign(key.privateKey);
}

export const REVOKE_URL = `${ORIGIN}/oauth2/v1/revoke`;
export const INTROSPECT_URL = `${ORIGIN}/oauth2/v1/introspect`;

export function tokenCall(form: Record<string, string>, headers: Record<string, string> = {}) {
  return oauthCall(TOKEN_URL, form, headers);
}

/** A form POST to one of the org authorization server's endpoints. */
export async function oauthCall(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await exports.default.fetch(
    new Request(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Accept: "application/json",
        "CF-Connecting-IP": someAddress(),
        ...headers,
      },
      body: new URLSearchParams(form).toString(),
    }),
  );
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

export const form = (clientAssertion: string, scope: string) => ({
  grant_type: "client_credentials",
  scope,
  client_assertion_type: ASSERTION_TYPE,
  client_assertion: clientAssertion,
});

export async function token(c: { id: string; keys: KeyPair[] }, scope: string): Promise<string> {
  const res = await tokenCall(form(await assertion(c.keys[0], c.id), scope));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.access_token;
}

export function withToken(method: string, path: string, accessToken: string, body?: unknown, headers: Record<string, string> = {}) {
  return api(method, path, body, { Authorization: `Bearer ${accessToken}`, "CF-Connecting-IP": someAddress(), ...headers });
}

export function expectOAuthError(
  res: { status: number; body: any; headers: Headers },
  status: number,
  error: string,
  description?: RegExp,
) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error).toBe(error);
  expect(typeof res.body.error_description).toBe("string");
  if (description) expect(res.body.error_description).toMatch(description);
  expect(res.body.errorCode).toBeUndefined();
  expect(res.headers.get("Cache-Control")).toBe("no-store");
}

export function expectE(res: { status: number; body: any }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ errorCode: code, errorLink: code, errorCauses: expect.any(Array) });
}

/** Authorization: Basic for client_secret_basic (RFC 6749 §2.3.1: each part form-urlencoded first). */
export function basic(clientId: string, secret: string): Record<string, string> {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, "+");
  const raw = `${encode(clientId)}:${encode(secret)}`;
  return { Authorization: `Basic ${btoa(raw)}` };
}
