import { env, exports } from "cloudflare:workers";
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from "jose";
import { describe, expect, it } from "vitest";
import { clientGate } from "../../src/access/gate-client";
import { createDb } from "../../src/db/client";
import { tokenHash } from "../../src/oauth/dpop";
import { keyRing } from "../../src/oauth/signing-keys";
import { api, createApp, createGroup, createUser, ORIGIN, unique } from "../helpers/api";
import { apiWithVars } from "../helpers/env-fetch";
import {
  assertion,
  client,
  expectE,
  expectOAuthError,
  form,
  keyPair,
  serviceApp,
  someAddress,
  token,
  tokenCall,
  TOKEN_URL,
  withToken,
  type KeyPair,
} from "../helpers/oauth";

describe("registering an OAuth 2.0 service app", () => {
  it("takes Okta's OpenIdConnectApplication body and answers the client with client_id = app id and public keys", async () => {
    const rsa = await keyPair("RS256");
    const ec = await keyPair("ES256");
    const res = await api("POST", "/api/v1/apps", serviceApp([rsa.publicJwk, ec.publicJwk]));
    expect(res.status).toBe(200);
    const app = res.body;
    expect(app).toMatchObject({
      name: "oidc_client",
      signOnMode: "OPENID_CONNECT",
      status: "ACTIVE",
      credentials: {
        oauthClient: { client_id: app.id, token_endpoint_auth_method: "private_key_jwt", autoKeyRotation: true, pkce_required: false },
      },
      settings: {
        oauthClient: {
          application_type: "service",
          grant_types: ["client_credentials"],
          response_types: ["token"],
          dpop_bound_access_tokens: false,
        },
      },
    });
    const keys = app.settings.oauthClient.jwks.keys;
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatchObject({ kid: rsa.kid, kty: "RSA", alg: "RS256", use: "sig", status: "ACTIVE", n: rsa.publicJwk.n, e: "AQAB" });
    expect(keys[1]).toMatchObject({ kid: ec.kid, kty: "EC", crv: "P-256", alg: "ES256", use: "sig", x: ec.publicJwk.x, y: ec.publicJwk.y });
    expect((await api("GET", `/api/v1/apps/${app.id}`)).body).toEqual(app);
  });

  it("refuses private key material, unusable keys and what provisio does not do, with 400 E0000001 naming each problem", async () => {
    const rsa = await keyPair("RS256");
    const rsaPrivate = await exportJWK(rsa.privateKey);
    const ec = await keyPair("ES256");
    const ecPrivate = await exportJWK(ec.privateKey);
    const small = (await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const p384 = await generateKeyPair("ES384", { extractable: true });
    const cases: [string, unknown, RegExp][] = [
      [
        "RSA private key",
        serviceApp([{ ...rsaPrivate, kid: "a" }]),
        /private key members "d", "p", "q", "dp", "dq", "qi" given; register public keys only/,
      ],
      ["EC private key", serviceApp([{ ...ecPrivate, kid: "a" }]), /private key member "d" given/],
      ["symmetric key", serviceApp([{ kty: "oct", k: "c2VjcmV0" }]), /private key member "k"/],
      [
        "unknown kty",
        serviceApp([{ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }]),
        /kty: must be "RSA" or "EC"/,
      ],
      ["1024-bit RSA", serviceApp([await exportJWK(small.publicKey)]), /modulus must be 2048 to 8192 bits/],
      ["P-384", serviceApp([await exportJWK(p384.publicKey)]), /crv: must be "P-256"/],
      ["bad EC point", serviceApp([{ ...ec.publicJwk, y: ec.publicJwk.x }]), /not a valid EC public key/],
      ["alg mismatch", serviceApp([{ ...rsa.publicJwk, alg: "ES256" }]), /alg: must be RS256/],
      ["encryption key", serviceApp([{ ...rsa.publicJwk, use: "enc" }]), /use: must be "sig"/],
      ["duplicate kid", serviceApp([rsa.publicJwk, { ...ec.publicJwk, kid: rsa.kid }]), /is used by another key/],
      ["no keys for private_key_jwt", serviceApp([]), /private_key_jwt needs at least one ACTIVE public key/],
      ["jwks and jwks_uri", serviceApp([rsa.publicJwk], { settings: { jwks_uri: "https://example.com/jwks" } }), /not both/],
      [
        "client secret with private_key_jwt",
        serviceApp([rsa.publicJwk], { credentials: { client_secret: "s3cr3t-s3cr3t-s3cr3t" } }),
        /'client_secret' can't be used when 'token_endpoint_auth_method' is 'private_key_jwt'/,
      ],
      [
        "client_secret_jwt (not accepted by provisio's token endpoint)",
        serviceApp([], { credentials: { token_endpoint_auth_method: "client_secret_jwt" } }),
        /a service app authenticates with private_key_jwt, client_secret_basic, client_secret_post here/,
      ],
      ["client_id", serviceApp([rsa.publicJwk], { credentials: { client_id: "my-own-client-id" } }), /uses the app id as the client id/],
      [
        "service app with a user grant",
        serviceApp([rsa.publicJwk], { settings: { grant_types: ["client_credentials", "authorization_code"] } }),
        /a service app cannot use authorization_code/,
      ],
      ["no grant types", serviceApp([rsa.publicJwk], { settings: { grant_types: [] } }), /grant_types: at least one grant type/],
      ["no oauthClient", { label: "Bare OIDC", signOnMode: "OPENID_CONNECT", settings: {} }, /settings.oauthClient: required/],
    ];
    for (const [name, body, cause] of cases) {
      const res = await api("POST", "/api/v1/apps", body);
      expectE(res, 400, "E0000001");
      const causes = res.body.errorCauses.map((c: { errorSummary: string }) => c.errorSummary).join("\n");
      expect(causes, name).toMatch(cause);
      // The refused key material is never echoed back.
      expect(JSON.stringify(res.body), name).not.toContain(String(rsaPrivate.d));
    }
  });

  it("validates a replaced client the same way (PUT) and keeps the client id", async () => {
    const { id, app } = await client([]);
    const other = await keyPair("ES256");
    const replaced = await api("PUT", `/api/v1/apps/${id}`, {
      ...serviceApp([other.publicJwk]),
      label: app.label,
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.credentials.oauthClient.client_id).toBe(id);
    expect(replaced.body.settings.oauthClient.jwks.keys.map((k: JWK) => k.kid)).toEqual([other.kid]);
    const refused = await api("PUT", `/api/v1/apps/${id}`, {
      ...serviceApp([{ ...(await exportJWK(other.privateKey)), kid: "x" }]),
      label: app.label,
    });
    expectE(refused, 400, "E0000001");
  });
});

describe("scope consent grants", () => {
  it("grants, lists, reads and revokes okta.* scopes in Okta's OAuth2ScopeConsentGrant shape", async () => {
    const { id, app } = await client([]);
    const created = await api("POST", `/api/v1/apps/${id}/grants`, { issuer: ORIGIN, scopeId: "okta.users.read" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^oag[0-9A-Za-z]{17}$/),
      status: "ACTIVE",
      issuer: ORIGIN,
      clientId: id,
      scopeId: "okta.users.read",
      source: "ADMIN",
      createdBy: { id: expect.stringMatching(/^00T/), type: "Token" },
      _embedded: { scope: { id: "okta.users.read" } },
      _links: {
        app: { href: `${ORIGIN}/api/v1/apps/${id}`, title: app.label },
        self: { href: `${ORIGIN}/api/v1/apps/${id}/grants/${created.body.id}`, hints: { allow: ["GET", "DELETE"] } },
      },
    });
    expect(Date.parse(created.body.created)).not.toBeNaN();

    // Granting the same scope again answers the grant it already has; a trailing slash on the issuer is the same org.
    const again = await api("POST", `/api/v1/apps/${id}/grants`, { issuer: `${ORIGIN}/`, scopeId: "okta.users.read" });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(created.body.id);
    const second = await api("POST", `/api/v1/apps/${id}/grants`, { issuer: ORIGIN, scopeId: "okta.apps.manage" });
    expect(second.status).toBe(201);

    const listed = await api("GET", `/api/v1/apps/${id}/grants?expand=scope`);
    expect(listed.status).toBe(200);
    expect(listed.body.map((g: { scopeId: string }) => g.scopeId)).toEqual(["okta.users.read", "okta.apps.manage"]);
    expect((await api("GET", `/api/v1/apps/${id}/grants/${created.body.id}`)).body).toEqual(created.body);

    expect((await api("DELETE", `/api/v1/apps/${id}/grants/${created.body.id}`)).status).toBe(204);
    expectE(await api("GET", `/api/v1/apps/${id}/grants/${created.body.id}`), 404, "E0000007");
    expectE(await api("DELETE", `/api/v1/apps/${id}/grants/${created.body.id}`), 404, "E0000007");
    expect((await api("GET", `/api/v1/apps/${id}/grants`)).body.map((g: { scopeId: string }) => g.scopeId)).toEqual(["okta.apps.manage"]);
  });

  it("refuses unknown scopes, another issuer, apps that are not OAuth clients and unknown apps", async () => {
    const { id } = await client([]);
    const unknownScope = await api("POST", `/api/v1/apps/${id}/grants`, { issuer: ORIGIN, scopeId: "okta.roles.manage" });
    expectE(unknownScope, 400, "E0000001");
    expect(unknownScope.body.errorCauses[0].errorSummary).toContain("okta.roles.manage");
    expectE(
      await api("POST", `/api/v1/apps/${id}/grants`, { issuer: "https://evil.example.com", scopeId: "okta.users.read" }),
      400,
      "E0000001",
    );
    expectE(await api("POST", `/api/v1/apps/${id}/grants`, { scopeId: "okta.users.read" }), 400, "E0000001");
    const bookmark = await createApp();
    expectE(await api("POST", `/api/v1/apps/${bookmark.id}/grants`, { issuer: ORIGIN, scopeId: "okta.users.read" }), 400, "E0000001");
    expectE(await api("POST", "/api/v1/apps/0oanothere/grants", { issuer: ORIGIN, scopeId: "okta.users.read" }), 404, "E0000007");
    expectE(await api("GET", "/api/v1/apps/0oanothere/grants"), 404, "E0000007");
  });
});

describe("POST /oauth2/v1/token", () => {
  it("issues a signed Bearer token for an RS256 assertion, verifiable with /oauth2/v1/keys", async () => {
    const c = await client(["okta.apps.read", "okta.users.read"]);
    const res = await tokenCall(form(await assertion(c.keys[0], c.id), "okta.apps.read okta.users.read"));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      token_type: "Bearer",
      expires_in: 3600,
      access_token: expect.any(String),
      scope: "okta.apps.read okta.users.read",
    });
    expect(res.headers.get("Cache-Control")).toBe("no-store");

    const jwks = await exports.default.fetch(`${ORIGIN}/oauth2/v1/keys`);
    expect(jwks.status).toBe(200);
    const published = (await jwks.json()) as { keys: JWK[] };
    for (const key of published.keys) expect(Object.keys(key).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x", "y"]);
    const { payload, protectedHeader } = await jwtVerify(res.body.access_token, createLocalJWKSet(published), {
      issuer: ORIGIN,
      audience: ORIGIN,
    });
    expect(protectedHeader).toMatchObject({ alg: "ES256", typ: "at+jwt" });
    expect(payload).toMatchObject({ sub: c.id, cid: c.id, scp: ["okta.apps.read", "okta.users.read"], ver: 1 });
    expect(payload.exp! - payload.iat!).toBeGreaterThanOrEqual(3599);
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(3601);
    expect(payload.cnf).toBeUndefined();

    const listed = await withToken("GET", "/api/v1/apps?limit=1", res.body.access_token);
    expect(listed.status).toBe(200);
  });

  it("issues a token for an ES256 assertion, and for a subset of the granted scopes", async () => {
    const c = await client(["okta.groups.read", "okta.groups.manage"], [await keyPair("ES256")]);
    const res = await tokenCall(form(await assertion(c.keys[0], c.id), "okta.groups.read"));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.scope).toBe("okta.groups.read");
    expect((await withToken("GET", "/api/v1/groups?limit=1", res.body.access_token)).status).toBe(200);
    expectE(await withToken("POST", "/api/v1/groups", res.body.access_token, { profile: { name: unique("g") } }), 403, "E0000006");
  });

  it("finds the key without a kid, and accepts client_id when it names the same client", async () => {
    const c = await client(["okta.apps.read"]);
    const res = await tokenCall({
      ...form(await assertion(c.keys[0], c.id, { header: { kid: undefined } }), "okta.apps.read"),
      client_id: c.id,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it("refuses every bad assertion with invalid_client (401) in OAuth's error shape", async () => {
    const rsa = await keyPair("RS256");
    const c = await client(["okta.apps.read"], [rsa]);
    const stranger = await keyPair("RS256", rsa.kid);
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string, RegExp][] = [
      ["wrong aud", await assertion(rsa, c.id, { claims: { aud: `${ORIGIN}/oauth2/default/v1/token` } }), /audience claim/],
      ["aud with a trailing slash", await assertion(rsa, c.id, { claims: { aud: `${TOKEN_URL}/` } }), /audience claim/],
      ["exp more than 5 minutes ahead", await assertion(rsa, c.id, { claims: { exp: now + 600 } }), /expiration too far into the future/],
      ["expired", await assertion(rsa, c.id, { claims: { iat: now - 400, exp: now - 100 } }), /expired/],
      ["no exp", await assertion(rsa, c.id, { omit: ["exp"] }), /exp/],
      ["no jti", await assertion(rsa, c.id, { omit: ["jti"] }), /jti/],
      ["sub is not the client", await assertion(rsa, c.id, { claims: { sub: "someone-else" } }), /iss and sub/],
      ["unknown kid", await assertion(rsa, c.id, { header: { kid: "not-registered" } }), /kid "not-registered"/],
      ["signed by an unregistered key", await assertion(stranger, c.id), /signature is invalid/],
      ["not a JWT", "not-a-jwt", /not a JWT/],
    ];
    for (const [name, signed, description] of cases) {
      const res = await tokenCall(form(signed, "okta.apps.read"));
      expectOAuthError(res, 401, "invalid_client", description);
      expect(res.body.access_token, name).toBeUndefined();
    }

    // Algorithms other than RS256/ES256: HMAC with the public key as secret, and alg none.
    const hmac = await new SignJWT({ iss: c.id, sub: c.id, aud: TOKEN_URL, exp: now + 60, jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: "HS256", kid: rsa.kid })
      .sign(new TextEncoder().encode(JSON.stringify(rsa.publicJwk)));
    expectOAuthError(await tokenCall(form(hmac, "okta.apps.read")), 401, "invalid_client", /RS256 or ES256; it says "HS256"/);
    const unsigned = `${btoa(JSON.stringify({ alg: "none" })).replace(/=+$/, "")}.${btoa(JSON.stringify({ iss: c.id, sub: c.id, aud: TOKEN_URL, exp: now + 60, jti: "n" })).replace(/=+$/, "")}.`;
    expectOAuthError(await tokenCall(form(unsigned, "okta.apps.read")), 401, "invalid_client", /"none"/);
    const rs512 = await generateKeyPair("RS512", { extractable: true });
    const rs512Signed = await new SignJWT({ iss: c.id, sub: c.id, aud: TOKEN_URL, exp: now + 60, jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: "RS512", kid: rsa.kid })
      .sign(rs512.privateKey);
    expectOAuthError(await tokenCall(form(rs512Signed, "okta.apps.read")), 401, "invalid_client", /it says "RS512"/);
  });

  it("refuses a replayed jti until its exp has passed", async () => {
    const c = await client(["okta.apps.read"]);
    const signed = await assertion(c.keys[0], c.id);
    expect((await tokenCall(form(signed, "okta.apps.read"))).status).toBe(200);
    expectOAuthError(await tokenCall(form(signed, "okta.apps.read")), 401, "invalid_client", /already been used/);
    // The same jti in a new assertion is a replay too while the first one is unexpired.
    const { jti } = JSON.parse(atob(signed.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    expectOAuthError(
      await tokenCall(form(await assertion(c.keys[0], c.id, { claims: { jti } }), "okta.apps.read")),
      401,
      "invalid_client",
      /already been used/,
    );
    // Another client's jti space is its own.
    const other = await client(["okta.apps.read"]);
    expect((await tokenCall(form(await assertion(other.keys[0], other.id, { claims: { jti } }), "okta.apps.read"))).status).toBe(200);

    // Once a used value has expired, the client's gate lets it be used again.
    const gate = clientGate(env, c.id);
    expect(await gate.useOnce("assertion:short-lived", Date.now() + 50)).toBe(true);
    expect(await gate.useOnce("assertion:short-lived", Date.now() + 50)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await gate.useOnce("assertion:short-lived", Date.now() + 50)).toBe(true);
  });

  it("refuses scopes that are not granted (invalid_scope, 400) and requires a scope", async () => {
    const c = await client(["okta.apps.read"]);
    expectOAuthError(
      await tokenCall(form(await assertion(c.keys[0], c.id), "okta.apps.read okta.apps.manage")),
      400,
      "invalid_scope",
      /okta.apps.manage/,
    );
    expectOAuthError(
      await tokenCall(form(await assertion(c.keys[0], c.id), "okta.roles.manage")),
      400,
      "invalid_scope",
      /okta.roles.manage/,
    );
    expectOAuthError(await tokenCall(form(await assertion(c.keys[0], c.id), "")), 400, "invalid_scope", /'scope' must be provided/);
  });

  it("refuses clients that cannot use it: another registered method, inactive, unknown, not client_credentials", async () => {
    const key = await keyPair("RS256");
    const basic = await api("POST", "/api/v1/apps", {
      label: unique("Web "),
      signOnMode: "OPENID_CONNECT",
      credentials: { oauthClient: { token_endpoint_auth_method: "client_secret_basic" } },
      settings: { oauthClient: { grant_types: ["client_credentials"], application_type: "service", jwks: { keys: [key.publicJwk] } } },
    });
    expect(basic.status).toBe(200);
    expectOAuthError(
      await tokenCall(form(await assertion(key, basic.body.id), "okta.apps.read")),
      401,
      "invalid_client",
      /registered for client_secret_basic; this request authenticates with private_key_jwt/,
    );

    const web = await api("POST", "/api/v1/apps", {
      label: unique("Web "),
      signOnMode: "OPENID_CONNECT",
      credentials: { oauthClient: { token_endpoint_auth_method: "private_key_jwt" } },
      settings: {
        oauthClient: {
          grant_types: ["authorization_code"],
          application_type: "web",
          redirect_uris: ["https://example.com/cb"],
          jwks: { keys: [key.publicJwk] },
        },
      },
    });
    expect(web.status, JSON.stringify(web.body)).toBe(200);
    expectOAuthError(await tokenCall(form(await assertion(key, web.body.id), "okta.apps.read")), 400, "unauthorized_client");

    const c = await client(["okta.apps.read"]);
    expect((await api("POST", `/api/v1/apps/${c.id}/lifecycle/deactivate`)).status).toBe(200);
    expectOAuthError(await tokenCall(form(await assertion(c.keys[0], c.id), "okta.apps.read")), 401, "invalid_client", /inactive/);
    expectOAuthError(await tokenCall(form(await assertion(c.keys[0], "0oanothere"), "okta.apps.read")), 401, "invalid_client", /client_id/);
    const bookmark = await createApp();
    expectOAuthError(await tokenCall(form(await assertion(key, bookmark.id), "okta.apps.read")), 401, "invalid_client");
  });

  it("refuses malformed requests with invalid_request / unsupported_grant_type, and more than one client authentication", async () => {
    const c = await client(["okta.apps.read"]);
    const signed = await assertion(c.keys[0], c.id);
    expectOAuthError(await tokenCall({ ...form(signed, "okta.apps.read"), grant_type: "password" }), 400, "unsupported_grant_type");
    const { grant_type: _g, ...noGrant } = form(signed, "okta.apps.read");
    expectOAuthError(await tokenCall(noGrant), 400, "invalid_request", /grant_type/);
    expectOAuthError(
      await tokenCall({ ...form(signed, "okta.apps.read"), client_assertion_type: "urn:x" }),
      400,
      "invalid_request",
      /client_assertion_type/,
    );
    const { client_assertion: _a, ...noAssertion } = form(signed, "okta.apps.read");
    expectOAuthError(await tokenCall(noAssertion), 401, "invalid_client", /client_assertion/);
    expectOAuthError(await tokenCall({ ...form(signed, "okta.apps.read"), client_secret: "x" }), 400, "invalid_request", /exactly one/);
    expectOAuthError(
      await tokenCall(form(signed, "okta.apps.read"), { Authorization: "Basic YTpi" }),
      400,
      "invalid_request",
      /exactly one/,
    );
    expectOAuthError(await tokenCall(form(signed, "okta.apps.read"), { Authorization: "Bearer abc" }), 401, "invalid_client", /Basic/);
    expectOAuthError(
      await tokenCall({ ...form(signed, "okta.apps.read"), client_id: "0oasomeoneelse" }),
      401,
      "invalid_client",
      /client_id/,
    );
    const json = await exports.default.fetch(
      new Request(TOKEN_URL, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(form(signed, "okta.apps.read")),
      }),
    );
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ error: "invalid_request" });
    const twice = await exports.default.fetch(
      new Request(TOKEN_URL, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: `${new URLSearchParams(form(signed, "okta.apps.read")).toString()}&scope=okta.apps.read`,
      }),
    );
    expect(twice.status).toBe(400);
    expect(await twice.json()).toMatchObject({ error: "invalid_request", error_description: expect.stringContaining("scope") });
  });

  it("counts each client's token requests in a window of its own and answers 429 slow_down past it", async () => {
    const c = await client(["okta.apps.read"]);
    const other = await client(["okta.apps.read"]);
    const request = async (who: typeof c) =>
      apiWithVars({ RATE_LIMIT_PER_MINUTE: "2" }, "POST", "/oauth2/v1/token", {
        token: null,
        body: new URLSearchParams(form(await assertion(who.keys[0], who.id), "okta.apps.read")).toString(),
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      });
    expect((await request(c)).status).toBe(200);
    const second = await request(c);
    expect(second.status).toBe(200);
    expect(second.headers.get("X-Rate-Limit-Remaining")).toBe("0");
    const refused = await request(c);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: "slow_down" });
    expect(Number(refused.headers.get("X-Rate-Limit-Reset")) * 1000).toBeGreaterThan(Date.now());
    expect((await request(other)).status).toBe(200);
  });

  it("counts failed client authentications per address and answers 429 past the limit", async () => {
    const c = await client(["okta.apps.read"]);
    const address = { "CF-Connecting-IP": "203.0.113.77" };
    let last;
    for (let i = 0; i < 4; i++) {
      const signed = await assertion(c.keys[0], c.id, { claims: { aud: "https://wrong.example.com" } });
      last = await apiWithVars({ AUTH_FAILURES_PER_MINUTE: "3" }, "POST", "/oauth2/v1/token", {
        token: null,
        body: new URLSearchParams(form(signed, "okta.apps.read")).toString(),
        headers: { ...address, "Content-Type": "application/x-www-form-urlencoded" },
      });
      if (i < 3) expect(last.status).toBe(401);
    }
    expect(last!.status).toBe(429);
    expect(last!.body.error).toBe("slow_down");
    expect(last!.headers.get("X-Rate-Limit-Remaining")).toBe("0");
  });
});

describe("OAuth access tokens on the API", () => {
  it("a token with okta.apps.read only reads apps and gets 403 E0000006 on every write and on other families", async () => {
    const c = await client(["okta.apps.read"]);
    const readOnly = await token(c, "okta.apps.read");
    const app = await createApp();
    const user = await createUser();
    const group = await createGroup();
    expect((await withToken("GET", "/api/v1/apps?limit=2", readOnly)).status).toBe(200);
    expect((await withToken("GET", `/api/v1/apps/${app.id}`, readOnly)).status).toBe(200);
    expect((await withToken("GET", `/api/v1/apps/${app.id}/users`, readOnly)).status).toBe(200);
    const writes: [string, string, unknown?][] = [
      ["POST", "/api/v1/apps", { label: "x", signOnMode: "BOOKMARK", settings: { app: { url: "https://example.com" } } }],
      ["PUT", `/api/v1/apps/${app.id}`, { label: "y", signOnMode: "BOOKMARK", settings: { app: { url: "https://example.com" } } }],
      ["POST", `/api/v1/apps/${app.id}/lifecycle/deactivate`],
      ["DELETE", `/api/v1/apps/${app.id}`],
      ["POST", `/api/v1/apps/${app.id}/users`, { id: user.id, scope: "USER" }],
      ["PUT", `/api/v1/apps/${app.id}/groups/${group.id}`],
      ["POST", `/api/v1/apps/${c.id}/grants`, { issuer: ORIGIN, scopeId: "okta.apps.manage" }],
      ["POST", "/api/v1/users", { profile: { login: "x@example.com", email: "x@example.com", firstName: "X", lastName: "Y" } }],
      ["POST", `/api/v1/users/${user.id}/lifecycle/suspend`],
      ["PUT", `/api/v1/groups/${group.id}/users/${user.id}`],
      ["DELETE", `/api/v1/groups/${group.id}`],
      ["POST", "/api/v1/api-tokens", { name: "nope" }],
      ["DELETE", "/api/v1/api-tokens/current"],
      ["POST", `/api/v1/meta/schemas/apps/${app.id}/default`, { definitions: { custom: { properties: {} } } }],
      ["POST", "/api/v1/inlineHooks", {}],
    ];
    for (const [method, path, body] of writes) {
      const res = await withToken(method, path, readOnly, body);
      expectE(res, 403, "E0000006");
      expect(res.headers.get("WWW-Authenticate"), `${method} ${path}`).toMatch(
        /^Bearer realm=".*", error="insufficient_scope", scope="okta\.[a-zA-Z]+\.manage"$/,
      );
    }
    for (const path of [
      "/api/v1/users",
      `/api/v1/groups/${group.id}`,
      "/api/v1/logs",
      "/api/v1/api-tokens",
      `/api/v1/apps/${c.id}/grants`,
    ]) {
      expectE(await withToken("GET", path, readOnly), 403, "E0000006");
    }
    // Nothing was written.
    expect((await api("GET", `/api/v1/apps/${app.id}`)).body.status).toBe("ACTIVE");
    expect((await api("GET", `/api/v1/apps/${app.id}/users`)).body).toEqual([]);
  });

  it("a token with manage scopes writes", async () => {
    const c = await client(["okta.apps.manage", "okta.apps.read", "okta.users.manage"]);
    const writer = await token(c, "okta.apps.manage okta.apps.read okta.users.manage");
    const created = await withToken("POST", "/api/v1/apps", writer, {
      label: unique("Bearer "),
      signOnMode: "BOOKMARK",
      settings: { app: { url: "https://example.com" } },
    });
    expect(created.status).toBe(200);
    const user = await createUser();
    const assigned = await withToken("POST", `/api/v1/apps/${created.body.id}/users`, writer, { id: user.id, scope: "USER" });
    expect(assigned.status).toBe(200);
  });

  it("refuses expired, forged, foreign and malformed tokens with 401 E0000011 and a WWW-Authenticate challenge", async () => {
    const c = await client(["okta.apps.read"]);
    const ring = await keyRing(env, createDb(env.DB));
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: JWTPayload, key: CryptoKey = ring.privateKey, kid = ring.kid) =>
      new SignJWT({ ver: 1, cid: c.id, scp: ["okta.apps.read"], jti: crypto.randomUUID(), ...claims })
        .setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" })
        .sign(key);
    const base = { iss: ORIGIN, aud: ORIGIN, sub: c.id, iat: now - 60, exp: now + 600 };
    expect((await withToken("GET", "/api/v1/apps?limit=1", await sign(base))).status).toBe(200);

    const forger = await generateKeyPair("ES256");
    const refused: [string, string][] = [
      ["expired", await sign({ ...base, iat: now - 7200, exp: now - 3600 })],
      ["other issuer", await sign({ ...base, iss: "https://other.example.com" })],
      ["other audience", await sign({ ...base, aud: "api://default" })],
      ["forged with provisio's kid", await sign(base, forger.privateKey)],
      ["unknown kid", await sign(base, forger.privateKey, "no-such-kid")],
      ["cid is not sub", await sign({ ...base, cid: "0oaother" })],
      ["not a JWT", "abc.def.ghi"],
    ];
    for (const [name, accessToken] of refused) {
      const res = await withToken("GET", "/api/v1/apps?limit=1", accessToken);
      expectE(res, 401, "E0000011");
      expect(res.headers.get("WWW-Authenticate"), name).toMatch(
        new RegExp(`^Bearer realm="${ORIGIN}", error="invalid_token", error_description="[^"]+"$`),
      );
    }
    const expired = await withToken("GET", "/api/v1/apps?limit=1", refused[0][1]);
    expect(expired.headers.get("WWW-Authenticate")).toContain('error_description="The access token is expired."');
  });

  it("records a refused access token in the System Log with its client, never the token", async () => {
    const c = await client(["okta.apps.read"]);
    const ring = await keyRing(env, createDb(env.DB));
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ ver: 1, cid: c.id, scp: ["okta.apps.read"], jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: "ES256", kid: ring.kid, typ: "at+jwt" })
      .setIssuer(ORIGIN)
      .setAudience(ORIGIN)
      .setSubject(c.id)
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(ring.privateKey);
    const events = async (path: string) => {
      const filter = encodeURIComponent('eventType eq "user.authentication.auth"');
      const listed = (await api("GET", `/api/v1/logs?filter=${filter}&sortOrder=DESCENDING&limit=1000`)).body as any[];
      return listed.filter((e) => e.debugContext.debugData.requestUri === path);
    };
    const refuse = async (accessToken: string) => {
      const path = `/api/v1/apps/${unique("probe")}`;
      const res = await apiWithVars({}, "GET", path, {
        headers: { Authorization: `Bearer ${accessToken}`, "CF-Connecting-IP": someAddress() },
      });
      expectE(res, 401, "E0000011");
      const logged = await events(path);
      expect(logged).toHaveLength(1);
      expect(JSON.stringify(logged)).not.toContain(accessToken.split(".")[2]);
      return logged[0];
    };
    expect(await refuse(expired)).toMatchObject({
      outcome: { result: "FAILURE", reason: "invalid or expired access token" },
      actor: { id: "unknown" },
      debugContext: { debugData: { authScheme: "Bearer" } },
    });
    // A good token of a client that was deactivated since: the event names the client.
    const valid = await token(c, "okta.apps.read");
    expect((await api("POST", `/api/v1/apps/${c.id}/lifecycle/deactivate`)).status).toBe(200);
    expect(await refuse(valid)).toMatchObject({
      outcome: { result: "FAILURE", reason: "OAuth client unknown, inactive or no longer authenticating with a method provisio accepts" },
      actor: { id: c.id, type: "PublicClientApp", displayName: "OAuth client" },
    });
  });

  it("honours only the scopes granted now: a revoked grant or a deactivated client takes effect at once", async () => {
    const c = await client(["okta.apps.read", "okta.users.read"]);
    const accessToken = await token(c, "okta.apps.read okta.users.read");
    expect((await withToken("GET", "/api/v1/users?limit=1", accessToken)).status).toBe(200);
    const grants = (await api("GET", `/api/v1/apps/${c.id}/grants`)).body as { id: string; scopeId: string }[];
    const users = grants.find((g) => g.scopeId === "okta.users.read")!;
    expect((await api("DELETE", `/api/v1/apps/${c.id}/grants/${users.id}`)).status).toBe(204);
    expectE(await withToken("GET", "/api/v1/users?limit=1", accessToken), 403, "E0000006");
    expect((await withToken("GET", "/api/v1/apps?limit=1", accessToken)).status).toBe(200);

    expect((await api("POST", `/api/v1/apps/${c.id}/lifecycle/deactivate`)).status).toBe(200);
    const inactive = await withToken("GET", "/api/v1/apps?limit=1", accessToken);
    expectE(inactive, 401, "E0000011");
    expect(inactive.headers.get("WWW-Authenticate")).toContain("no longer active");
    expect((await api("POST", `/api/v1/apps/${c.id}/lifecycle/activate`)).status).toBe(200);
    expect((await withToken("GET", "/api/v1/apps?limit=1", accessToken)).status).toBe(200);
  });

  it("rate-limits OAuth clients per client id through their gate, with Okta's headers", async () => {
    const SMALL = { RATE_LIMIT_PER_MINUTE: "2", RATE_LIMIT_WINDOW_SECONDS: "60" };
    const first = await client(["okta.groups.read"]);
    const second = await client(["okta.groups.read"]);
    const [a, b] = [await token(first, "okta.groups.read"), await token(second, "okta.groups.read")];
    // Two tokens of the same client share its windows.
    const a2 = await token(first, "okta.groups.read");
    const call = (accessToken: string) =>
      apiWithVars(SMALL, "GET", "/api/v1/groups?limit=1", { headers: { Authorization: `Bearer ${accessToken}` } });
    const one = await call(a);
    expect(one.status).toBe(200);
    expect([one.headers.get("X-Rate-Limit-Limit"), one.headers.get("X-Rate-Limit-Remaining")]).toEqual(["2", "1"]);
    expect((await call(a2)).status).toBe(200);
    const refused = await call(a);
    expectE(refused, 429, "E0000047");
    expect(refused.headers.get("X-Rate-Limit-Remaining")).toBe("0");
    expect(Date.parse(refused.headers.get("Date")!)).not.toBeNaN();
    expect((await call(b)).status).toBe(200);
  });
});

describe("DPoP", () => {
  async function dpopClient(scopes: string[]) {
    return client(scopes, [], { dpop_bound_access_tokens: true });
  }

  async function proof(key: KeyPair, claims: JWTPayload, header: Record<string, unknown> = {}) {
    return new SignJWT({ jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims })
      .setProtectedHeader({ alg: key.alg, typ: "dpop+jwt", jwk: { ...key.publicJwk, kid: undefined }, ...header })
      .sign(key.privateKey);
  }

  async function dpopToken(c: { id: string; keys: KeyPair[] }, dpopKey: KeyPair, scope: string) {
    const first = await tokenCall(form(await assertion(c.keys[0], c.id), scope), {
      DPoP: await proof(dpopKey, { htm: "POST", htu: TOKEN_URL }),
    });
    expectOAuthError(first, 400, "use_dpop_nonce", /nonce/);
    const nonce = first.headers.get("DPoP-Nonce")!;
    expect(nonce).toMatch(/^\d+\.[A-Za-z0-9_-]{43}$/);
    const res = await tokenCall(form(await assertion(c.keys[0], c.id), scope), {
      DPoP: await proof(dpopKey, { htm: "POST", htu: TOKEN_URL, nonce }),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }

  it("a client that requires DPoP gets a nonce, then a DPoP-bound token used with a fresh proof per call", async () => {
    const c = await dpopClient(["okta.apps.read"]);
    const dpopKey = await keyPair("ES256");
    const issued = await dpopToken(c, dpopKey, "okta.apps.read");
    expect(issued.token_type).toBe("DPoP");
    const { payload } = await jwtVerify(
      issued.access_token,
      createLocalJWKSet((await (await exports.default.fetch(`${ORIGIN}/oauth2/v1/keys`)).json()) as { keys: JWK[] }),
    );
    expect(payload.cnf).toEqual({ jkt: await calculateJwkThumbprint(dpopKey.publicJwk) });

    const url = `${ORIGIN}/api/v1/apps?limit=1`;
    const ath = await tokenHash(issued.access_token);
    const call = async (dpop: string, scheme = "DPoP") =>
      withToken("GET", "/api/v1/apps?limit=1", "", undefined, { Authorization: `${scheme} ${issued.access_token}`, DPoP: dpop });
    const good = await proof(dpopKey, { htm: "GET", htu: url, ath });
    expect((await call(good)).status).toBe(200);
    // A proof is good once.
    const replayed = await call(good);
    expectE(replayed, 401, "E0000011");
    expect(replayed.headers.get("WWW-Authenticate")).toMatch(
      /^DPoP algs="RS256 RS384 RS512 ES256 ES384 ES512", realm=".*", error="invalid_dpop_proof", error_description="The DPoP proof JWT has already been used."$/,
    );

    const other = await keyPair("ES256");
    const bad: [string, Promise<Response | { status: number; body: any; headers: Headers }>][] = [
      ["Bearer scheme", call(await proof(dpopKey, { htm: "GET", htu: url, ath }), "Bearer")],
      ["no proof", withToken("GET", "/api/v1/apps?limit=1", "", undefined, { Authorization: `DPoP ${issued.access_token}` })],
      ["other key", call(await proof(other, { htm: "GET", htu: url, ath }))],
      ["wrong htm", call(await proof(dpopKey, { htm: "POST", htu: url, ath }))],
      ["wrong htu", call(await proof(dpopKey, { htm: "GET", htu: `${ORIGIN}/api/v1/users`, ath }))],
      ["no ath", call(await proof(dpopKey, { htm: "GET", htu: url }))],
      ["wrong ath", call(await proof(dpopKey, { htm: "GET", htu: url, ath: await tokenHash("other") }))],
      ["stale iat", call(await proof(dpopKey, { htm: "GET", htu: url, ath, iat: Math.floor(Date.now() / 1000) - 600 }))],
      ["wrong typ", call(await proof(dpopKey, { htm: "GET", htu: url, ath }, { typ: "JWT" }))],
      ["private jwk", call(await proof(dpopKey, { htm: "GET", htu: url, ath }, { jwk: await exportJWK(dpopKey.privateKey) }))],
    ];
    for (const [name, pending] of bad) {
      const res = (await pending) as { status: number; body: any; headers: Headers };
      expect(res.status, name).toBe(401);
      expect(res.body.errorCode, name).toBe("E0000011");
      expect(res.headers.get("WWW-Authenticate"), name).toMatch(/error="invalid_(dpop_proof|token)"/);
    }
    // htu is compared without the query, with repeated slashes collapsed and escapes decoded.
    expect((await call(await proof(dpopKey, { htm: "GET", htu: `${ORIGIN}//api/v1/apps`, ath }))).status).toBe(200);
  });

  it("refuses a DPoP client's token request without a valid proof", async () => {
    const c = await dpopClient(["okta.apps.read"]);
    const dpopKey = await keyPair("RS256");
    expectOAuthError(
      await tokenCall(form(await assertion(c.keys[0], c.id), "okta.apps.read")),
      400,
      "invalid_dpop_proof",
      /must carry a DPoP proof/,
    );
    expectOAuthError(
      await tokenCall(form(await assertion(c.keys[0], c.id), "okta.apps.read"), {
        DPoP: await proof(dpopKey, { htm: "POST", htu: `${ORIGIN}/oauth2/v1/keys` }),
      }),
      400,
      "invalid_dpop_proof",
      /htu/,
    );
    expectOAuthError(
      await tokenCall(form(await assertion(c.keys[0], c.id), "okta.apps.read"), {
        DPoP: await proof(dpopKey, { htm: "POST", htu: TOKEN_URL, nonce: "1.AAAA" }),
      }),
      400,
      "use_dpop_nonce",
    );
    const forged = `${Math.floor(Date.now() / 1000)}.${"A".repeat(43)}`;
    expectOAuthError(
      await tokenCall(form(await assertion(c.keys[0], c.id), "okta.apps.read"), {
        DPoP: await proof(dpopKey, { htm: "POST", htu: TOKEN_URL, nonce: forged }),
      }),
      400,
      "use_dpop_nonce",
    );
  });

  it("ignores a proof from a client that does not require DPoP (as Okta does, and as the Okta SDK expects) and issues a Bearer token", async () => {
    const c = await client(["okta.apps.read"]);
    const dpopKey = await keyPair("RS256");
    const res = await tokenCall(form(await assertion(c.keys[0], c.id), "okta.apps.read"), {
      DPoP: await proof(dpopKey, { htm: "POST", htu: TOKEN_URL }),
    });
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe("Bearer");
    // A Bearer token sent with the DPoP scheme is refused.
    const res2 = await withToken("GET", "/api/v1/apps?limit=1", "", undefined, {
      Authorization: `DPoP ${res.body.access_token}`,
      DPoP: await proof(dpopKey, { htm: "GET", htu: `${ORIGIN}/api/v1/apps` }),
    });
    expectE(res2, 401, "E0000011");
  });
});

describe("the org authorization server's metadata", () => {
  it("publishes the token, revocation and introspection endpoints, keys, and what they support", async () => {
    const res = await exports.default.fetch(`${ORIGIN}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      issuer: ORIGIN,
      token_endpoint: TOKEN_URL,
      revocation_endpoint: `${ORIGIN}/oauth2/v1/revoke`,
      introspection_endpoint: `${ORIGIN}/oauth2/v1/introspect`,
      jwks_uri: `${ORIGIN}/oauth2/v1/keys`,
      grant_types_supported: ["client_credentials"],
      token_endpoint_auth_methods_supported: ["private_key_jwt", "client_secret_basic", "client_secret_post"],
      token_endpoint_auth_signing_alg_values_supported: ["RS256", "ES256"],
      revocation_endpoint_auth_methods_supported: ["private_key_jwt", "client_secret_basic", "client_secret_post"],
      introspection_endpoint_auth_methods_supported: ["private_key_jwt", "client_secret_basic", "client_secret_post"],
    });
  });
});

describe("provisio's signing key", () => {
  it("is replaced when CREDENTIALS_KEY is rotated, and tokens signed before still verify", async () => {
    const c = await client(["okta.apps.read"]);
    const before = await token(c, "okta.apps.read");
    const rotated = { CREDENTIALS_KEY: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))) };
    const issued = await apiWithVars(rotated, "POST", "/oauth2/v1/token", {
      token: null,
      body: new URLSearchParams(form(await assertion(c.keys[0], c.id), "okta.apps.read")).toString(),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    const kid = (t: string) => JSON.parse(atob(t.split(".")[0].replace(/-/g, "+").replace(/_/g, "/"))).kid;
    expect(kid(issued.body.access_token)).not.toBe(kid(before));
    const jwks = await apiWithVars(rotated, "GET", "/oauth2/v1/keys", { token: null });
    expect(jwks.body.keys.map((k: JWK) => k.kid)).toEqual(expect.arrayContaining([kid(before), kid(issued.body.access_token)]));
    for (const accessToken of [before, issued.body.access_token]) {
      expect(
        (await apiWithVars(rotated, "GET", "/api/v1/apps?limit=1", { headers: { Authorization: `Bearer ${accessToken}` } })).status,
      ).toBe(200);
    }
  });
});
