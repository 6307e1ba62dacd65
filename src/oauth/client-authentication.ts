import type { Context } from "hono";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { verifyClientSecret } from "../crypto/client-secret";
import type { DB } from "../db/client";
import { getApp } from "../db/queries/apps";
import { listClientSecrets } from "../db/queries/client-secrets";
import type { AppRow } from "../db/schema";
import type { AppEnv } from "../http/context";
import { CLIENT_ASSERTION_TYPE, verifyClientAssertion, type VerifiedAssertion } from "./client-assertion";
import { storedClient, TOKEN_ENDPOINT_METHODS } from "./client-registration";
import { OAuthError } from "./errors";
import { clientKeysAt, JwksUnavailable } from "./remote-jwks";

// Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3,
// RFC 7523): client_secret_basic (Authorization: Basic), client_secret_post (client_id and
// client_secret in the form) or private_key_jwt (a client assertion signed with a registered key,
// inline or at jwks_uri). A client must use the method it is registered with, and exactly one.

export type ClientAuthMethod = "client_secret_basic" | "client_secret_post" | "private_key_jwt";

export interface AuthenticatedClient {
  clientId: string;
  app: AppRow;
  client: ReturnType<typeof storedClient>;
  method: ClientAuthMethod;
  /** For private_key_jwt: the assertion, whose jti the endpoint uses up. */
  assertion?: VerifiedAssertion;
}

const invalid = (description: string) => new OAuthError("invalid_client", description);

interface Presented {
  method: ClientAuthMethod;
  clientId: string;
  secret?: string;
  assertion?: string;
}

/** Which method the request uses, and the client it names; refuses none, several, or a malformed one. */
function presented(c: Context<AppEnv>, params: URLSearchParams): Presented {
  const header = c.req.header("Authorization");
  const basic = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (header && !basic)
    throw invalid("Client authentication with this Authorization scheme is not supported; use Basic (client_secret_basic).");
  const methods = [
    basic ? "client_secret_basic" : null,
    params.has("client_secret") ? "client_secret_post" : null,
    params.has("client_assertion") ? "private_key_jwt" : null,
  ].filter((m): m is ClientAuthMethod => m !== null);
  if (methods.length > 1) throw new OAuthError("invalid_request", "Use exactly one client authentication method per request.");
  const clientIdParam = params.get("client_id");
  if (methods.length === 0) {
    throw invalid("Client authentication is required: client_secret_basic, client_secret_post or a private_key_jwt client_assertion.");
  }
  const named = (clientId: string | null | undefined) => {
    if (!clientId || clientId.length > 100) throw invalid("Invalid value for 'client_id' parameter.");
    if (clientIdParam !== null && clientIdParam !== clientId)
      throw invalid("The client_id parameter does not name the authenticating client.");
    return clientId;
  };
  switch (methods[0]) {
    case "client_secret_basic": {
      const [clientId, secret] = basicCredentials(basic![1]);
      return { method: "client_secret_basic", clientId: named(clientId), secret };
    }
    case "client_secret_post":
      return { method: "client_secret_post", clientId: named(clientIdParam), secret: params.get("client_secret") ?? "" };
    case "private_key_jwt": {
      const assertion = params.get("client_assertion")!;
      if (params.get("client_assertion_type") !== CLIENT_ASSERTION_TYPE) {
        throw new OAuthError("invalid_request", `The 'client_assertion_type' parameter must be ${CLIENT_ASSERTION_TYPE}.`);
      }
      let iss: unknown;
      try {
        iss = decodeJwt(assertion).iss;
      } catch {
        throw invalid("The client_assertion is not a JWT.");
      }
      if (typeof iss !== "string" || iss.length === 0) throw invalid("The client_assertion's iss must be the client_id.");
      return { method: "private_key_jwt", clientId: named(iss), assertion };
    }
  }
}

/** RFC 6749 §2.3.1: client id and secret, each form-urlencoded, joined by a colon, in base64. */
function basicCredentials(encoded: string): [string, string] {
  let decoded: string;
  try {
    decoded = new TextDecoder().decode(Uint8Array.from(atob(encoded), (ch) => ch.charCodeAt(0)));
  } catch {
    throw invalid("The Basic credentials are not base64.");
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) throw invalid("The Basic credentials must be client_id:client_secret.");
  const unescape = (part: string) => {
    try {
      return decodeURIComponent(part.replace(/\+/g, " "));
    } catch {
      return part;
    }
  };
  return [unescape(decoded.slice(0, colon)), unescape(decoded.slice(colon + 1))];
}

/**
 * Authenticates the client of a request to `endpointUrl` (an assertion's `aud` must be exactly
 * that URL). Answers the client's app, or throws an OAuthError (invalid_client, 401).
 */
export async function authenticateClient(
  c: Context<AppEnv>,
  db: DB,
  params: URLSearchParams,
  endpointUrl: string,
): Promise<AuthenticatedClient> {
  const claim = presented(c, params);
  const app = await getApp(db, claim.clientId);
  if (!app || app.signOnMode !== "OPENID_CONNECT") throw invalid("Invalid value for 'client_id' parameter.");
  if (app.status !== "ACTIVE") throw invalid("The client is inactive.");
  const client = storedClient(app.settings, app.credentials);
  if (!TOKEN_ENDPOINT_METHODS.includes(client.authMethod)) {
    throw invalid(
      `The client is registered for ${client.authMethod}, which provisio does not accept; use ${TOKEN_ENDPOINT_METHODS.join(", ")}.`,
    );
  }
  if (client.authMethod !== claim.method) {
    throw invalid(`The client is registered for ${client.authMethod}; this request authenticates with ${claim.method}.`);
  }
  if (claim.method !== "private_key_jwt") {
    if (!(await secretMatches(db, app.id, claim.secret ?? "")))
      throw invalid("The client secret supplied for a confidential client is invalid.");
    return { clientId: app.id, app, client, method: claim.method };
  }
  const keys = client.jwksUri ? await remoteKeys(c.env, app.id, client.jwksUri, claim.assertion!) : client.keys;
  const assertion = await verifyClientAssertion(claim.assertion!, { clientId: app.id, keys, tokenUrl: endpointUrl });
  return { clientId: app.id, app, client, method: claim.method, assertion };
}

/** Compared against every active secret (a client has at most two while it rotates). */
async function secretMatches(db: DB, appId: string, secret: string): Promise<boolean> {
  if (secret.length === 0 || secret.length > 1024) return false;
  for (const row of await listClientSecrets(db, appId)) {
    if (row.status === "ACTIVE" && (await verifyClientSecret(secret, row.secretHash))) return true;
  }
  return false;
}

async function remoteKeys(env: Env, clientId: string, uri: string, assertion: string) {
  let kid: unknown;
  try {
    ({ kid } = decodeProtectedHeader(assertion));
  } catch {
    throw invalid("The client_assertion is not a JWT.");
  }
  try {
    return await clientKeysAt(env, clientId, uri, typeof kid === "string" ? kid : undefined);
  } catch (error) {
    if (error instanceof JwksUnavailable) throw invalid(error.description);
    throw error;
  }
}
