import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, ORIGIN, unique } from "../helpers/api";
import {
  assertion,
  basic,
  expectE,
  expectOAuthError,
  form,
  keyPair,
  serviceApp,
  tokenCall,
  withToken,
  type KeyPair,
} from "../helpers/oauth";
import { scimTenant } from "../helpers/scim";

// Issue 17: service apps authenticate at the token endpoint with a client secret
// (client_secret_basic, client_secret_post), kept only as a hash and shown once, rotated through
// Okta's /credentials/secrets API; or with private_key_jwt keys published at a jwks_uri, fetched
// through the outbound URL rules, cached, and fetched again once when an unknown kid shows up.

const SCOPE = "okta.apps.read";

async function secretClient(method: "client_secret_basic" | "client_secret_post", clientSecret?: string) {
  const res = await api("POST", "/api/v1/apps", {
    label: unique("Secret "),
    signOnMode: "OPENID_CONNECT",
    credentials: { oauthClient: { token_endpoint_auth_method: method, ...(clientSecret ? { client_secret: clientSecret } : {}) } },
    settings: { oauthClient: { grant_types: ["client_credentials"], application_type: "service" } },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const grant = await api("POST", `/api/v1/apps/${res.body.id}/grants`, { issuer: ORIGIN, scopeId: SCOPE });
  expect(grant.status).toBe(201);
  return { id: res.body.id as string, app: res.body, secret: res.body.credentials.oauthClient.client_secret as string };
}

const grantForm = { grant_type: "client_credentials", scope: SCOPE };
const withBasic = (id: string, secret: string) => tokenCall(grantForm, basic(id, secret));
const withPost = (id: string, secret: string) => tokenCall({ ...grantForm, client_id: id, client_secret: secret });

/** Every place a secret could leak: the app as read, its secrets, the stored rows, the System Log. */
async function expectNowhere(appId: string, secret: string) {
  expect(JSON.stringify((await api("GET", `/api/v1/apps/${appId}`)).body)).not.toContain(secret);
  expect(JSON.stringify((await api("GET", `/api/v1/apps/${appId}/credentials/secrets`)).body)).not.toContain(secret);
  const rows = await env.DB.prepare(
    "SELECT (SELECT json_group_array(json_object('s', secret_hash)) FROM oauth_client_secrets WHERE app_id = ?1) AS secrets, (SELECT credentials FROM apps WHERE id = ?1) AS app",
  )
    .bind(appId)
    .first<{ secrets: string; app: string }>();
  expect(JSON.stringify(rows)).not.toContain(secret);
  const logged = await api("GET", `/api/v1/logs?since=${new Date(Date.now() - 300_000).toISOString()}&q=${appId}&limit=1000`);
  expect(logged.body.length).toBeGreaterThan(0);
  expect(JSON.stringify(logged.body)).not.toContain(secret);
}

describe("client_secret_basic and client_secret_post", () => {
  it("shows a generated secret once, keeps only its hash, and issues tokens for it sent as Basic", async () => {
    const c = await secretClient("client_secret_basic");
    expect(c.app.credentials.oauthClient).toMatchObject({ client_id: c.id, token_endpoint_auth_method: "client_secret_basic" });
    expect(c.secret).toMatch(/^[A-Za-z0-9_-]{64}$/);
    const listed = (await api("GET", `/api/v1/apps/${c.id}/credentials/secrets`)).body;
    expect(listed).toEqual([
      {
        id: expect.stringMatching(/^ocs/),
        status: "ACTIVE",
        secret_hash: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        created: expect.any(String),
        lastUpdated: expect.any(String),
        _links: {
          deactivate: {
            href: `${ORIGIN}/api/v1/apps/${c.id}/credentials/secrets/${listed[0].id}/lifecycle/deactivate`,
            hints: { allow: ["POST"] },
          },
        },
      },
    ]);
    await expectNowhere(c.id, c.secret);

    const issued = await withBasic(c.id, c.secret);
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    expect(issued.body).toMatchObject({ token_type: "Bearer", scope: SCOPE });
    expect((await withToken("GET", "/api/v1/apps?limit=1", issued.body.access_token)).status).toBe(200);

    expectOAuthError(
      await withBasic(c.id, `${c.secret}x`),
      401,
      "invalid_client",
      /client secret supplied for a confidential client is invalid/,
    );
    expectOAuthError(await withBasic("0oanosuchclient", c.secret), 401, "invalid_client", /client_id/);
    expectOAuthError(
      await withPost(c.id, c.secret),
      401,
      "invalid_client",
      /registered for client_secret_basic; this request authenticates with client_secret_post/,
    );
    expectOAuthError(await tokenCall(grantForm, { Authorization: "Basic not*base64" }), 401, "invalid_client");
    expectOAuthError(
      await tokenCall(grantForm, { Authorization: `Basic ${btoa("no-colon")}` }),
      401,
      "invalid_client",
      /client_id:client_secret/,
    );
    expectOAuthError(await tokenCall({ ...grantForm, client_id: "0oaother" }, basic(c.id, c.secret)), 401, "invalid_client", /client_id/);
  });

  it("takes the secret in the form for client_secret_post, and a secret the administrator brings (form-urlencoded in Basic)", async () => {
    const post = await secretClient("client_secret_post");
    expect((await withPost(post.id, post.secret)).status).toBe(200);
    expectOAuthError(await withBasic(post.id, post.secret), 401, "invalid_client", /registered for client_secret_post/);
    expectOAuthError(await tokenCall({ ...grantForm, client_secret: post.secret }), 401, "invalid_client", /client_id/);

    // Characters RFC 6749 makes clients encode in Basic credentials.
    const own = "my own: secret%+&=42";
    const brought = await secretClient("client_secret_basic", own);
    expect(brought.secret).toBe(own);
    expect((await withBasic(brought.id, own)).status).toBe(200);
    await expectNowhere(brought.id, own);
  });

  it("refuses secrets Okta refuses, with Okta's messages", async () => {
    const refusals: [unknown, RegExp][] = [
      [{ token_endpoint_auth_method: "client_secret_basic", client_secret: "short" }, /must be at least '14' characters long/],
      [{ token_endpoint_auth_method: "client_secret_basic", client_secret: "x".repeat(101) }, /can't be more than '100' characters long/],
      [{ token_endpoint_auth_method: "client_secret_basic", client_secret: "schlüssel-geheimnis" }, /must only contain printable ASCII/],
    ];
    for (const [oauthClient, cause] of refusals) {
      const res = await api("POST", "/api/v1/apps", {
        label: unique("Bad "),
        signOnMode: "OPENID_CONNECT",
        credentials: { oauthClient },
        settings: { oauthClient: { grant_types: ["client_credentials"], application_type: "service" } },
      });
      expectE(res, 400, "E0000001");
      expect(res.body.errorCauses.map((e: { errorSummary: string }) => e.errorSummary).join("\n")).toMatch(cause);
    }
    const keys = await keyPair("RS256");
    const jwt = (await api("POST", "/api/v1/apps", serviceApp([keys.publicJwk]))).body;
    const onJwt = await api("POST", `/api/v1/apps/${jwt.id}/credentials/secrets`, { client_secret: "a-perfectly-long-secret" });
    expectE(onJwt, 400, "E0000001");
    expect(onJwt.body).toMatchObject({
      errorSummary: "Api validation failed: client_secret",
      errorCauses: [{ errorSummary: "'client_secret' can't be used when 'token_endpoint_auth_method' is 'private_key_jwt'." }],
    });
    const bookmark = (
      await api("POST", "/api/v1/apps", { label: unique("B "), signOnMode: "BOOKMARK", settings: { app: { url: "https://example.com" } } })
    ).body;
    expectE(await api("GET", `/api/v1/apps/${bookmark.id}/credentials/secrets`), 400, "E0000001");
    expectE(await api("GET", `/api/v1/apps/${jwt.id}/credentials/secrets/ocsnothere`), 404, "E0000007");
  });

  it("rotates: a second secret works next to the first, the first is deactivated then deleted, with Okta's rules and events", async () => {
    const c = await secretClient("client_secret_basic");
    const created = await api("POST", `/api/v1/apps/${c.id}/credentials/secrets`, {});
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const second = created.body.client_secret as string;
    expect(second).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(created.body).toMatchObject({ status: "ACTIVE", secret_hash: expect.any(String) });
    const read = (await api("GET", `/api/v1/apps/${c.id}/credentials/secrets/${created.body.id}`)).body;
    expect(read.client_secret).toBeUndefined();
    expect(read.secret_hash).toBe(created.body.secret_hash);
    for (const secret of [c.secret, second]) expect((await withBasic(c.id, secret)).status).toBe(200);

    expect((await api("POST", `/api/v1/apps/${c.id}/credentials/secrets`, {})).body).toMatchObject({
      errorCode: "E0000001",
      errorSummary: "Api validation failed: OAuth2ClientSecretMediated",
      errorCauses: [{ errorSummary: "You've reached the maximum number of client secrets per client." }],
    });
    const [first] = (await api("GET", `/api/v1/apps/${c.id}/credentials/secrets`)).body.filter(
      (s: { id: string }) => s.id !== created.body.id,
    );
    expect((await api("DELETE", `/api/v1/apps/${c.id}/credentials/secrets/${first.id}`)).body.errorCauses).toEqual([
      { errorSummary: "You can't delete an active client secret. Deactivate the secret before deleting it." },
    ]);
    const deactivated = await api("POST", `/api/v1/apps/${c.id}/credentials/secrets/${first.id}/lifecycle/deactivate`);
    expect(deactivated.body).toMatchObject({ status: "INACTIVE", _links: { activate: {}, delete: {} } });
    expectOAuthError(await withBasic(c.id, c.secret), 401, "invalid_client");
    expect((await withBasic(c.id, second)).status).toBe(200);
    expect(
      (await api("POST", `/api/v1/apps/${c.id}/credentials/secrets/${created.body.id}/lifecycle/deactivate`)).body.errorCauses,
    ).toEqual([{ errorSummary: "You can't deactivate the only active client secret." }]);
    expect((await api("DELETE", `/api/v1/apps/${c.id}/credentials/secrets/${first.id}`)).status).toBe(204);
    expect((await api("GET", `/api/v1/apps/${c.id}/credentials/secrets`)).body.map((s: { id: string }) => s.id)).toEqual([created.body.id]);

    const events = await api(
      "GET",
      `/api/v1/logs?since=${new Date(Date.now() - 60_000).toISOString()}&filter=${encodeURIComponent(`eventType sw "app.oauth2.credentials.lifecycle" and target.id eq "${c.id}"`)}`,
    );
    expect(events.body.map((e: { eventType: string }) => e.eventType)).toEqual([
      "app.oauth2.credentials.lifecycle.create",
      "app.oauth2.credentials.lifecycle.create",
      "app.oauth2.credentials.lifecycle.deactivate",
      "app.oauth2.credentials.lifecycle.delete",
    ]);
    for (const secret of [c.secret, second]) await expectNowhere(c.id, secret);
  });

  it("shows a secret on PUT only when it makes one: a client switched to a secret method, or a new secret given", async () => {
    const keys = await keyPair("RS256");
    const made = (await api("POST", "/api/v1/apps", serviceApp([keys.publicJwk]))).body;
    expect(made.credentials.oauthClient.client_secret).toBeUndefined();
    const body = (oauthClient: Record<string, unknown>) => ({
      label: made.label,
      signOnMode: "OPENID_CONNECT",
      credentials: { oauthClient },
      settings: { oauthClient: { grant_types: ["client_credentials"], application_type: "service" } },
    });
    const switched = await api("PUT", `/api/v1/apps/${made.id}`, body({ token_endpoint_auth_method: "client_secret_post" }));
    const secret = switched.body.credentials.oauthClient.client_secret;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{64}$/);
    const again = await api("PUT", `/api/v1/apps/${made.id}`, body({ token_endpoint_auth_method: "client_secret_post" }));
    expect(again.body.credentials.oauthClient.client_secret).toBeUndefined();
    // Terraform sends back the secret it was shown: nothing changes.
    const echoed = await api(
      "PUT",
      `/api/v1/apps/${made.id}`,
      body({ token_endpoint_auth_method: "client_secret_post", client_secret: secret }),
    );
    expect(echoed.body.credentials.oauthClient.client_secret).toBeUndefined();
    const replaced = await api(
      "PUT",
      `/api/v1/apps/${made.id}`,
      body({ token_endpoint_auth_method: "client_secret_post", client_secret: "a-brand-new-secret-1" }),
    );
    expect(replaced.body.credentials.oauthClient.client_secret).toBe("a-brand-new-secret-1");
    expect((await api("GET", `/api/v1/apps/${made.id}/credentials/secrets`)).body).toHaveLength(1);
    await api("POST", `/api/v1/apps/${made.id}/grants`, { issuer: ORIGIN, scopeId: SCOPE });
    expectOAuthError(await withPost(made.id, secret), 401, "invalid_client");
    expect((await withPost(made.id, "a-brand-new-secret-1")).status).toBe(200);
  });
});

describe("private_key_jwt with jwks_uri", () => {
  async function publishingClient(scim: ReturnType<typeof scimTenant>, keys: KeyPair[], cacheControl?: string) {
    await scim.publishJwks({ keys: keys.map((k) => ({ ...k.publicJwk, use: "sig", alg: k.alg })), cacheControl });
    const res = await api("POST", "/api/v1/apps", {
      label: unique("Remote keys "),
      signOnMode: "OPENID_CONNECT",
      credentials: { oauthClient: { token_endpoint_auth_method: "private_key_jwt" } },
      settings: { oauthClient: { grant_types: ["client_credentials"], application_type: "service", jwks_uri: scim.jwksUrl } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.settings.oauthClient.jwks_uri).toBe(scim.jwksUrl);
    expect(res.body.settings.oauthClient.jwks).toBeUndefined();
    await api("POST", `/api/v1/apps/${res.body.id}/grants`, { issuer: ORIGIN, scopeId: SCOPE });
    return res.body.id as string;
  }

  it("fetches the keys once, serves later assertions from the cache, and fetches again once on an unknown kid (key rotation)", async () => {
    const scim = scimTenant();
    const [a, b, stranger] = [await keyPair("RS256"), await keyPair("ES256"), await keyPair("RS256")];
    const id = await publishingClient(scim, [a], "max-age=600");
    expect((await scim.state()).jwksFetches).toBe(0);

    expect((await tokenCall(form(await assertion(a, id), SCOPE))).status).toBe(200);
    expect((await tokenCall(form(await assertion(a, id), SCOPE))).status).toBe(200);
    expect((await scim.state()).jwksFetches).toBe(1);

    // The client rotates: it publishes b and signs with it.
    await scim.publishJwks({ keys: [{ ...b.publicJwk, use: "sig" }], cacheControl: "max-age=600" });
    const rotated = await tokenCall(form(await assertion(b, id), SCOPE));
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect((await scim.state()).jwksFetches).toBe(2);

    // A kid nobody published: one refetch per interval at most, then refused.
    expectOAuthError(await tokenCall(form(await assertion(stranger, id), SCOPE)), 401, "invalid_client", /kid/);
    expectOAuthError(await tokenCall(form(await assertion(a, id), SCOPE)), 401, "invalid_client", /kid/);
    expect((await scim.state()).jwksFetches).toBe(2);
    expect((await tokenCall(form(await assertion(b, id), SCOPE))).status).toBe(200);
  });

  it("refuses a key set it cannot use, without repeating what the client's host answered", async () => {
    const scim = scimTenant();
    const key = await keyPair("RS256");
    const id = await publishingClient(scim, [key]);
    const cases: [Parameters<typeof scim.publishJwks>[0], RegExp][] = [
      [{ status: 500, body: "internal error: token=abc123secret" }, /answered HTTP 500/],
      [{ body: "<html>not json</html>" }, /did not answer a JSON Web Key Set/],
      [{ keys: [{ ...key.publicJwk, d: "private-part" }] }, /no usable public signing key/],
      [{ keys: [{ ...key.publicJwk, use: "enc" }] }, /no usable public signing key/],
      [{ body: JSON.stringify({ keys: [], padding: "x".repeat(70_000) }) }, /larger than 65536 bytes/],
    ];
    for (const [published, description] of cases) {
      // Each case is a client of its own, so nothing is cached from the one before.
      const fresh = scimTenant();
      const clientId = await publishingClient(fresh, [key]);
      await fresh.publishJwks(published);
      const res = await tokenCall(form(await assertion(key, clientId), SCOPE));
      expectOAuthError(res, 401, "invalid_client", description);
      expect(JSON.stringify(res.body)).not.toContain("abc123secret");
    }
    expect((await tokenCall(form(await assertion(key, id), SCOPE))).status).toBe(200);
  });

  it("refuses a jwks_uri the outbound URL rules refuse, and keys given both ways", async () => {
    const key = await keyPair("RS256");
    for (const [uri, cause] of [
      ["http://169.254.169.254/latest/jwks", /link-local addresses are not allowed/],
      ["not a url", /is not an absolute URL/],
      ["https://user:pw@keys.example.com/jwks", /credentials belong/],
    ] as const) {
      const res = await api("POST", "/api/v1/apps", serviceApp([], { settings: { jwks: undefined, jwks_uri: uri } }));
      expectE(res, 400, "E0000001");
      expect(res.body.errorCauses.map((c: { errorSummary: string }) => c.errorSummary).join("\n"), uri).toMatch(cause);
    }
    const both = await api(
      "POST",
      "/api/v1/apps",
      serviceApp([key.publicJwk], { settings: { jwks_uri: "https://keys.example.com/jwks" } }),
    );
    expectE(both, 400, "E0000001");
  });
});
