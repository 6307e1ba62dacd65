import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admitClient } from "../../src/access/gate-client";
import { api, ORIGIN, unique } from "../helpers/api";
import {
  ASSERTION_TYPE,
  assertion,
  basic,
  client,
  expectE,
  expectOAuthError,
  INTROSPECT_URL,
  oauthCall,
  REVOKE_URL,
  token,
  withToken,
  type KeyPair,
} from "../helpers/oauth";

// Issue 17: POST /oauth2/v1/revoke (RFC 7009) and /oauth2/v1/introspect (RFC 7662). A client
// authenticates as at the token endpoint (an assertion's aud is the endpoint it is sent to) and
// deals with its own tokens only; a revoked access token is refused by the API from then on.

type Client = { id: string; keys: KeyPair[] };

async function asClient(c: Client, url: string, fields: Record<string, string>) {
  return oauthCall(url, {
    ...fields,
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: await assertion(c.keys[0], c.id, { claims: { aud: url } }),
  });
}

const revoke = (c: Client, accessToken: string, hint?: string) =>
  asClient(c, REVOKE_URL, { token: accessToken, ...(hint ? { token_type_hint: hint } : {}) });
const introspect = (c: Client, accessToken: string) => asClient(c, INTROSPECT_URL, { token: accessToken });

describe("POST /oauth2/v1/introspect", () => {
  it("answers the claims of the client's own active token, with the scopes still granted", async () => {
    const c = await client(["okta.apps.read", "okta.users.read"]);
    const accessToken = await token(c, "okta.apps.read okta.users.read");
    const res = await introspect(c, accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const now = Math.floor(Date.now() / 1000);
    expect(res.body).toEqual({
      active: true,
      scope: "okta.apps.read okta.users.read",
      client_id: c.id,
      token_type: "Bearer",
      exp: expect.any(Number),
      iat: expect.any(Number),
      sub: c.id,
      aud: ORIGIN,
      iss: ORIGIN,
      jti: expect.stringMatching(/^AT\./),
    });
    expect(res.body.exp - res.body.iat).toBe(3600);
    expect(Math.abs(res.body.iat - now)).toBeLessThan(30);

    const grants = (await api("GET", `/api/v1/apps/${c.id}/grants`)).body as { id: string; scopeId: string }[];
    await api("DELETE", `/api/v1/apps/${c.id}/grants/${grants.find((g) => g.scopeId === "okta.users.read")!.id}`);
    expect((await introspect(c, accessToken)).body).toMatchObject({ active: true, scope: "okta.apps.read" });

    await api("POST", `/api/v1/apps/${c.id}/lifecycle/deactivate`);
    await api("POST", `/api/v1/apps/${c.id}/lifecycle/activate`);
    expect((await introspect(c, accessToken)).body.active).toBe(true);
  });

  it("says only active: false for garbage, another client's token, and tokens of a deactivated client", async () => {
    const [c, other] = [await client(["okta.apps.read"]), await client(["okta.apps.read"])];
    const theirs = await token(other, "okta.apps.read");
    for (const value of ["not-a-token", "a.b.c", theirs]) expect((await introspect(c, value)).body).toEqual({ active: false });
    const mine = await token(c, "okta.apps.read");
    await api("POST", `/api/v1/apps/${c.id}/lifecycle/deactivate`);
    // A deactivated client cannot authenticate to ask at all.
    expectOAuthError(await introspect(c, mine), 401, "invalid_client", /inactive/);
    expect((await introspect(other, theirs)).body.active).toBe(true);
  });
});

describe("POST /oauth2/v1/revoke", () => {
  it("revokes an access token: the API refuses it (401 E0000011), introspection says inactive, other tokens keep working", async () => {
    const c = await client(["okta.apps.read"]);
    const [revoked, kept] = [await token(c, "okta.apps.read"), await token(c, "okta.apps.read")];
    expect((await withToken("GET", "/api/v1/apps?limit=1", revoked)).status).toBe(200);

    const res = await revoke(c, revoked, "access_token");
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toBeUndefined();
    expect(res.headers.get("Cache-Control")).toBe("no-store");

    const refused = await withToken("GET", "/api/v1/apps?limit=1", revoked);
    expectE(refused, 401, "E0000011");
    expect(refused.headers.get("WWW-Authenticate")).toContain(
      'error="invalid_token", error_description="The access token has been revoked."',
    );
    expect((await introspect(c, revoked)).body).toEqual({ active: false });
    expect((await withToken("GET", "/api/v1/apps?limit=1", kept)).status).toBe(200);
    // Revoking it again, or revoking garbage or an expired token, is a 200 with nothing to do.
    for (const value of [revoked, "not-a-token"]) expect((await revoke(c, value)).status).toBe(200);

    // Recorded: the revocation with the token's id (never the token), and the refused call.
    const since = new Date(Date.now() - 60_000).toISOString();
    const logged = await api(
      "GET",
      `/api/v1/logs?since=${since}&filter=${encodeURIComponent(`eventType eq "app.oauth2.token.revoke" and target.id eq "${c.id}"`)}`,
    );
    expect(logged.body).toHaveLength(1);
    expect(logged.body[0]).toMatchObject({
      actor: { id: c.id, type: "PublicClientApp" },
      target: [
        { id: c.id, type: "AppInstance" },
        { type: "AccessToken", id: expect.stringMatching(/^AT\./) },
      ],
    });
    expect(JSON.stringify(logged.body)).not.toContain(revoked.split(".")[2]);
  });

  it("keeps refusing a revoked token when the client's gate cannot answer (D1 holds the revocation too)", async () => {
    const c = await client(["okta.apps.read"]);
    const accessToken = await token(c, "okta.apps.read");
    const introspected = (await introspect(c, accessToken)).body as { jti: string };
    expect((await revoke(c, accessToken)).status).toBe(200);
    const broken = {
      ...env,
      ACCESS_GATE: { getByName: () => ({ admitClient: () => Promise.reject(new Error("gate down")) }) },
    } as unknown as Env;
    expect(await admitClient(broken, { clientId: c.id, family: "apps", limit: 0, windowMs: 60_000, tokenId: introspected.jti })).toEqual({
      ok: false,
      reason: "token_revoked",
    });
    expect(await admitClient(broken, { clientId: c.id, family: "apps", limit: 0, windowMs: 60_000, tokenId: "AT.other" })).toMatchObject({
      ok: true,
    });
  });

  it("refuses another client's token, requests without client authentication or token, and an assertion meant for another endpoint", async () => {
    const [c, other] = [await client(["okta.apps.read"]), await client(["okta.apps.read"])];
    const theirs = await token(other, "okta.apps.read");
    expectOAuthError(await revoke(c, theirs), 400, "unauthorized_client", /not issued to this client/);
    expect((await withToken("GET", "/api/v1/apps?limit=1", theirs)).status).toBe(200);

    expectOAuthError(await oauthCall(REVOKE_URL, { token: theirs }), 401, "invalid_client", /Client authentication is required/);
    expectOAuthError(await asClient(c, REVOKE_URL, {}), 400, "invalid_request", /'token' parameter is required/);
    const forToken = await oauthCall(REVOKE_URL, {
      token: theirs,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(c.keys[0], c.id),
    });
    expectOAuthError(forToken, 401, "invalid_client", /audience claim/);
    // An assertion is good once here too.
    const once = await assertion(c.keys[0], c.id, { claims: { aud: INTROSPECT_URL } });
    const form = { token: theirs, client_assertion_type: ASSERTION_TYPE, client_assertion: once };
    expect((await oauthCall(INTROSPECT_URL, form)).status).toBe(200);
    expectOAuthError(await oauthCall(INTROSPECT_URL, form), 401, "invalid_client", /already been used/);
  });

  it("lets a client_secret_basic client revoke and introspect its tokens with its secret", async () => {
    const res = await api("POST", "/api/v1/apps", {
      label: unique("Secret "),
      signOnMode: "OPENID_CONNECT",
      credentials: { oauthClient: { token_endpoint_auth_method: "client_secret_basic" } },
      settings: { oauthClient: { grant_types: ["client_credentials"], application_type: "service" } },
    });
    const id = res.body.id as string;
    const secret = res.body.credentials.oauthClient.client_secret as string;
    await api("POST", `/api/v1/apps/${id}/grants`, { issuer: ORIGIN, scopeId: "okta.apps.read" });
    const issued = await oauthCall(
      `${ORIGIN}/oauth2/v1/token`,
      { grant_type: "client_credentials", scope: "okta.apps.read" },
      basic(id, secret),
    );
    const accessToken = issued.body.access_token as string;
    expect((await oauthCall(INTROSPECT_URL, { token: accessToken }, basic(id, secret))).body.active).toBe(true);
    expect((await oauthCall(REVOKE_URL, { token: accessToken }, basic(id, secret))).status).toBe(200);
    expectE(await withToken("GET", "/api/v1/apps?limit=1", accessToken), 401, "E0000011");
    expectOAuthError(await oauthCall(REVOKE_URL, { token: accessToken }, basic(id, "wrong-secret-value")), 401, "invalid_client");
  });
});
