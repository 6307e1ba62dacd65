import { generateKeyPairSync, randomUUID } from "node:crypto";
import okta from "@okta/okta-sdk-nodejs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SDK_TOKEN, startLocalWorker, type LocalWorker } from "./local-worker";

// The official Okta Node SDK, unmodified, in PrivateKey mode (OAuth 2.0 client credentials with a
// private_key_jwt assertion) against provisio under wrangler's local runtime.
let worker: LocalWorker;
let admin: InstanceType<typeof okta.Client>;

beforeAll(async () => {
  worker = await startLocalWorker();
  admin = new okta.Client({ orgUrl: worker.url, token: SDK_TOKEN });
});

afterAll(async () => {
  await worker?.stop();
});

async function collect<T>(collection: AsyncIterable<T | null>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of collection) if (item !== null) items.push(item);
  return items;
}

/** An RSA key pair: the private JWK (with its kid) for the SDK, the public JWK for the app. */
function rsaKey() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = `sdk-${randomUUID()}`;
  return {
    kid,
    privateJwk: { ...privateKey.export({ format: "jwk" }), kid },
    privatePem: privateKey.export({ format: "pem", type: "pkcs1" }) as string,
    publicJwk: { ...publicKey.export({ format: "jwk" }), kid },
  };
}

/** Registers a service app and grants it scopes, both through the SDK (with an API token). */
async function serviceApp(scopes: string[], publicJwk: object, settings: Record<string, unknown> = {}) {
  const app = await admin.applicationApi.createApplication({
    application: {
      name: "oidc_client",
      label: `SDK service ${randomUUID().slice(0, 8)}`,
      signOnMode: "OPENID_CONNECT",
      credentials: { oauthClient: { token_endpoint_auth_method: "private_key_jwt" } },
      settings: {
        oauthClient: { grant_types: ["client_credentials"], application_type: "service", jwks: { keys: [publicJwk] }, ...settings },
      },
    } as never,
  });
  const clientId = (app as unknown as { credentials: { oauthClient: { client_id: string } } }).credentials.oauthClient.client_id;
  expect(clientId).toBe(app.id);
  for (const scopeId of scopes) {
    const grant = await admin.applicationApi.grantConsentToScope({
      appId: app.id!,
      oAuth2ScopeConsentGrant: { issuer: worker.url, scopeId },
    });
    expect(grant.scopeId).toBe(scopeId);
  }
  return clientId;
}

describe("Okta Node SDK in PrivateKey mode against provisio", () => {
  it("registers a service app whose keys survive the SDK's serializer, and lists its grants", async () => {
    const key = rsaKey();
    const clientId = await serviceApp(["okta.users.read"], key.publicJwk);
    const app = (await admin.applicationApi.getApplication({ appId: clientId })) as unknown as {
      settings: { oauthClient: { jwks: { keys: { kid: string; n: string }[] } } };
    };
    expect(app.settings.oauthClient.jwks.keys.map((k) => [k.kid, k.n])).toEqual([[key.kid, key.publicJwk.n]]);
    const grants = await collect(await admin.applicationApi.listScopeConsentGrants({ appId: clientId }));
    expect(grants.map((g) => g.scopeId)).toEqual(["okta.users.read"]);
  });

  it("gets a token with a JWK private key, then lists, creates and assigns", async () => {
    const key = rsaKey();
    const scopes = ["okta.users.read", "okta.users.manage", "okta.groups.manage", "okta.apps.read", "okta.apps.manage"];
    const clientId = await serviceApp(scopes, key.publicJwk);
    // A trailing slash, as Okta's README writes orgUrl: API calls go to "//api/v1/...".
    const client = new okta.Client({
      orgUrl: `${worker.url}/`,
      authorizationMode: "PrivateKey",
      clientId,
      scopes,
      privateKey: key.privateJwk,
    });

    const stamp = Date.now();
    const login = `oauth.sdk.${stamp}@example.com`;
    const user = await client.userApi.createUser({ body: { profile: { firstName: "Oauth", lastName: "Client", email: login, login } } });
    expect(user.id).toMatch(/^00u/);
    const listed = await collect(await client.userApi.listUsers({ search: `profile.login eq "${login}"` }));
    expect(listed.map((u) => u.id)).toEqual([user.id]);
    const group = await client.groupApi.createGroup({ group: { profile: { name: `OAuth SDK ${stamp}` } } });
    await client.groupApi.assignUserToGroup({ groupId: group.id!, userId: user.id! });

    const app = await client.applicationApi.createApplication({
      application: {
        name: "bookmark",
        label: `OAuth SDK ${stamp}`,
        signOnMode: "BOOKMARK",
        settings: { app: { url: "https://example.com/" } },
      } as never,
    });
    const appUser = await client.applicationApi.assignUserToApplication({ appId: app.id!, appUser: { id: user.id!, scope: "USER" } });
    expect(appUser.id).toBe(user.id);
    await client.applicationApi.assignGroupToApplication({ appId: app.id!, groupId: group.id! });
    const appUsers = await collect(await client.applicationApi.listApplicationUsers({ appId: app.id! }));
    expect(appUsers.map((u) => u.id)).toEqual([user.id]);
  });

  it("gets a token with a PEM private key and keyId", async () => {
    const key = rsaKey();
    const clientId = await serviceApp(["okta.groups.read"], key.publicJwk);
    const client = new okta.Client({
      orgUrl: worker.url,
      authorizationMode: "PrivateKey",
      clientId,
      scopes: ["okta.groups.read"],
      privateKey: key.privatePem,
      keyId: key.kid,
    });
    const groups = await collect(await client.groupApi.listGroups({ limit: 5 }));
    expect(Array.isArray(groups)).toBe(true);
  });

  it("a client granted only okta.apps.read reads apps and gets E0000006 on a write", async () => {
    const key = rsaKey();
    const clientId = await serviceApp(["okta.apps.read"], key.publicJwk);
    const client = new okta.Client({
      orgUrl: worker.url,
      authorizationMode: "PrivateKey",
      clientId,
      scopes: ["okta.apps.read"],
      privateKey: key.privateJwk,
    });
    const apps = await collect(await client.applicationApi.listApplications({ limit: 5 }));
    expect(apps.length).toBeGreaterThan(0);
    const refused = await client.applicationApi
      .createApplication({
        application: {
          name: "bookmark",
          label: "Not allowed",
          signOnMode: "BOOKMARK",
          settings: { app: { url: "https://example.com/" } },
        } as never,
      })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 403, errorCode: "E0000006" });
    const users = await client.userApi.getUser({ userId: "anyone" }).catch((e: unknown) => e);
    expect(users).toMatchObject({ status: 403, errorCode: "E0000006" });

    // Asking for a scope that was never granted fails at the token endpoint (400 invalid_scope).
    // SDK 8.1 does not check the token response (oauth.js calls Http.errorFilter on the module,
    // where it is undefined), so it sends "Bearer undefined" and reports the API's 401.
    const greedy = new okta.Client({
      orgUrl: worker.url,
      authorizationMode: "PrivateKey",
      clientId,
      scopes: ["okta.apps.manage"],
      privateKey: key.privateJwk,
    });
    const noToken = await greedy.applicationApi.getApplication({ appId: clientId }).catch((e: unknown) => e);
    expect(noToken).toMatchObject({ status: 401, errorCode: "E0000011" });
  });

  it("does the use_dpop_nonce dance and then sends DPoP-bound calls with a fresh proof each, for a client that requires DPoP", async () => {
    const key = rsaKey();
    const clientId = await serviceApp(["okta.apps.read", "okta.apps.manage"], key.publicJwk, { dpop_bound_access_tokens: true });
    // A trailing-slash orgUrl: the SDK's proofs then name "//api/v1/..." in htu, which provisio normalises.
    const client = new okta.Client({
      orgUrl: `${worker.url}/`,
      authorizationMode: "PrivateKey",
      clientId,
      scopes: ["okta.apps.read", "okta.apps.manage"],
      privateKey: JSON.stringify(key.privateJwk),
    });
    // The first token request (with a proof but no nonce) is answered 400 use_dpop_nonce with a
    // DPoP-Nonce header; the SDK asks again with the nonce and switches to DPoP.
    const apps = await collect(await client.applicationApi.listApplications({ limit: 2 }));
    expect(apps.length).toBeGreaterThan(0);
    const oauth = (client as unknown as { oauth: { isDPoP: boolean; accessToken: { token_type: string } } }).oauth;
    expect(oauth.isDPoP).toBe(true);
    expect(oauth.accessToken.token_type).toBe("DPoP");
    const one = await client.applicationApi.getApplication({ appId: clientId });
    expect(one.id).toBe(clientId);
    const created = await client.applicationApi.createApplication({
      application: {
        name: "bookmark",
        label: `DPoP ${Date.now()}`,
        signOnMode: "BOOKMARK",
        settings: { app: { url: "https://example.com/" } },
      } as never,
    });
    expect(created.id).toMatch(/^0oa/);
  });

  it("rotates a client secret through the SDK's ApplicationSSOPublicKeys API; the new secret gets tokens, the old one no longer does", async () => {
    const app = (await admin.applicationApi.createApplication({
      application: {
        name: "oidc_client",
        label: `SDK secret ${randomUUID().slice(0, 8)}`,
        signOnMode: "OPENID_CONNECT",
        credentials: { oauthClient: { token_endpoint_auth_method: "client_secret_basic" } },
        settings: { oauthClient: { grant_types: ["client_credentials"], application_type: "service" } },
      } as never,
    })) as unknown as { id: string; credentials: { oauthClient: { client_secret: string } } };
    const first = app.credentials.oauthClient.client_secret;
    expect(first).toMatch(/^[A-Za-z0-9_-]{64}$/);
    await admin.applicationApi.grantConsentToScope({
      appId: app.id,
      oAuth2ScopeConsentGrant: { issuer: worker.url, scopeId: "okta.apps.read" },
    });
    const tokenWith = (secret: string) =>
      fetch(`${worker.url}/oauth2/v1/token`, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Authorization: `Basic ${Buffer.from(`${app.id}:${secret}`).toString("base64")}`,
        },
        body: "grant_type=client_credentials&scope=okta.apps.read",
      });

    const keys = admin.applicationSSOPublicKeysApi;
    const second = await keys.createOAuth2ClientSecret({ appId: app.id, oAuth2ClientSecretRequestBody: {} });
    expect(second.client_secret).toMatch(/^[A-Za-z0-9_-]{64}$/);
    const listed = await collect(await keys.listOAuth2ClientSecrets({ appId: app.id }));
    expect(listed.map((s) => [s.status, s.client_secret])).toEqual([
      ["ACTIVE", undefined],
      ["ACTIVE", undefined],
    ]);
    const old = listed.find((s) => s.id !== second.id)!;
    expect((await keys.deactivateOAuth2ClientSecret({ appId: app.id, secretId: old.id! })).status).toBe("INACTIVE");
    await keys.deleteOAuth2ClientSecret({ appId: app.id, secretId: old.id! });
    expect((await tokenWith(first)).status).toBe(401);
    const issued = await tokenWith(second.client_secret!);
    expect(issued.status).toBe(200);
    const { access_token } = (await issued.json()) as { access_token: string };
    const apps = await fetch(`${worker.url}/api/v1/apps?limit=1`, { headers: { Authorization: `Bearer ${access_token}` } });
    expect(apps.status).toBe(200);
  });
});
