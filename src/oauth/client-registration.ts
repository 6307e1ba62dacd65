import { z } from "zod";
import { DomainError } from "../domain/errors";
import { checkClientKeys, type ClientJwk } from "./client-keys";

type Json = Record<string, unknown>;

// Okta's GrantType, OpenIdConnectApplicationType and OAuthEndpointAuthenticationMethod enums.
const GRANT_TYPES = [
  "authorization_code",
  "client_credentials",
  "implicit",
  "interaction_code",
  "password",
  "refresh_token",
  "urn:ietf:params:oauth:grant-type:device_code",
  "urn:ietf:params:oauth:grant-type:jwt-bearer",
  "urn:ietf:params:oauth:grant-type:saml2-bearer",
  "urn:ietf:params:oauth:grant-type:token-exchange",
  "urn:openid:params:grant-type:ciba",
  "urn:okta:params:oauth:grant-type:otp",
  "urn:okta:params:oauth:grant-type:oob",
  "http://auth0.com/oauth/grant-type/mfa-otp",
  "http://auth0.com/oauth/grant-type/mfa-oob",
] as const;
const APPLICATION_TYPES = ["browser", "native", "service", "web"] as const;
export const AUTH_METHODS = ["client_secret_basic", "client_secret_jwt", "client_secret_post", "none", "private_key_jwt"] as const;
// What a service app may use: it acts for itself, never for a user.
const SERVICE_GRANTS: readonly string[] = ["client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"];

const settingsClientSchema = z
  .object({
    application_type: z.enum(APPLICATION_TYPES).optional(),
    grant_types: z.array(z.enum(GRANT_TYPES)).min(1, "at least one grant type is required"),
    response_types: z.array(z.enum(["code", "token", "id_token"])).optional(),
    redirect_uris: z.array(z.string().max(1024)).optional(),
    post_logout_redirect_uris: z.array(z.string().max(1024)).optional(),
    jwks: z
      .object({ keys: z.array(z.unknown()) })
      .catchall(z.unknown())
      .optional(),
    jwks_uri: z.string().optional(),
    dpop_bound_access_tokens: z.boolean().optional(),
  })
  .catchall(z.unknown());

const credentialsClientSchema = z
  .object({
    client_id: z.string().optional(),
    client_secret: z.string().optional(),
    token_endpoint_auth_method: z.enum(AUTH_METHODS).optional(),
    autoKeyRotation: z.boolean().optional(),
    pkce_required: z.boolean().optional(),
  })
  .catchall(z.unknown());

/** An OAuth 2.0 client's settings and credentials, as stored in the app's JSON. */
export interface OAuthClientParts {
  settingsClient: Json & { grant_types: string[]; application_type: string; jwks?: { keys: ClientJwk[] } };
  credentialsClient: Json & { client_id: string; token_endpoint_auth_method: string };
}

function zodProblems(prefix: string, error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].join(".");
    return `${path}: ${issue.message}`;
  });
}

/**
 * Validates an OPENID_CONNECT app's `settings.oauthClient` and `credentials.oauthClient` (Okta's
 * OpenIdConnectApplication) and returns them with Okta's defaults. The client id is the app id,
 * as in Okta when none is given. provisio authenticates clients with private_key_jwt only: a
 * client secret is refused rather than stored, and keys are registered inline (`jwks`), never
 * fetched (`jwks_uri`).
 */
export async function oauthClientParts(
  appId: string,
  settings: Json | undefined,
  credentials: Json | undefined,
): Promise<OAuthClientParts> {
  const problems: string[] = [];
  const parsedSettings = settingsClientSchema.safeParse(settings?.oauthClient ?? undefined);
  const parsedCredentials = credentialsClientSchema.safeParse(credentials?.oauthClient ?? {});
  if (!parsedSettings.success) {
    problems.push(
      ...(settings?.oauthClient === undefined
        ? ["settings.oauthClient: required for OPENID_CONNECT apps (grant_types at least)"]
        : zodProblems("settings.oauthClient", parsedSettings.error)),
    );
  }
  if (!parsedCredentials.success) problems.push(...zodProblems("credentials.oauthClient", parsedCredentials.error));
  if (!parsedSettings.success || !parsedCredentials.success) throw DomainError.validation("oauthClient", ...problems);

  const client = parsedSettings.data;
  const creds = parsedCredentials.data;
  const applicationType = client.application_type ?? "web";
  const authMethod = creds.token_endpoint_auth_method ?? "client_secret_basic";
  if (creds.client_id !== undefined && creds.client_id !== appId) {
    problems.push(`credentials.oauthClient.client_id: provisio uses the app id as the client id; leave it out`);
  }
  if (creds.client_secret !== undefined) {
    problems.push(
      "credentials.oauthClient.client_secret: provisio authenticates clients with private_key_jwt only; no client secret is kept",
    );
  }
  if (client.jwks_uri !== undefined) {
    problems.push(
      "settings.oauthClient.jwks_uri: provisio does not fetch keys; register the public keys in settings.oauthClient.jwks.keys",
    );
  }
  if (applicationType === "service") {
    const other = client.grant_types.filter((grant) => !SERVICE_GRANTS.includes(grant));
    if (other.length > 0) problems.push(`settings.oauthClient.grant_types: a service app cannot use ${other.join(", ")}`);
    if (authMethod === "none")
      problems.push("credentials.oauthClient.token_endpoint_auth_method: a service app must authenticate (private_key_jwt)");
  }
  let keys: ClientJwk[] | undefined;
  if (client.jwks) {
    const checked = await checkClientKeys(client.jwks.keys, "settings.oauthClient.jwks.keys");
    problems.push(...checked.problems);
    keys = checked.keys;
  }
  if (authMethod === "private_key_jwt" && problems.length === 0 && !keys?.some((key) => key.status === "ACTIVE")) {
    problems.push("settings.oauthClient.jwks.keys: private_key_jwt needs at least one ACTIVE public key");
  }
  if (problems.length > 0) throw DomainError.validation("oauthClient", ...problems);

  const { jwks: _jwks, ...rest } = client;
  return {
    settingsClient: {
      redirect_uris: [],
      response_types: applicationType === "service" ? ["token"] : ["code"],
      ...rest,
      application_type: applicationType,
      dpop_bound_access_tokens: client.dpop_bound_access_tokens ?? false,
      ...(keys ? { jwks: { keys } } : {}),
    },
    credentialsClient: {
      autoKeyRotation: creds.autoKeyRotation ?? true,
      pkce_required: creds.pkce_required ?? (applicationType === "browser" || applicationType === "native"),
      ...creds,
      client_id: appId,
      token_endpoint_auth_method: authMethod,
    },
  };
}

/** What the token endpoint needs to know of a stored client app's JSON. */
export function storedClient(settings: Json, credentials: Json) {
  const client = (settings.oauthClient ?? {}) as Json;
  const creds = (credentials.oauthClient ?? {}) as Json;
  const keys = ((client.jwks as { keys?: ClientJwk[] } | undefined)?.keys ?? []).filter((key) => key.status !== "INACTIVE");
  return {
    authMethod: typeof creds.token_endpoint_auth_method === "string" ? creds.token_endpoint_auth_method : "client_secret_basic",
    grantTypes: Array.isArray(client.grant_types) ? (client.grant_types as string[]) : [],
    requiresDpop: client.dpop_bound_access_tokens === true,
    keys,
  };
}
