import { z } from "zod";
import { DomainError } from "../domain/errors";
import { checkDownstreamUrl, type DownstreamAccess } from "../provisioning/downstream-url";
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
/** Methods whose clients hold a client secret (one is generated when the app is made without one). */
export const SECRET_METHODS: readonly string[] = ["client_secret_basic", "client_secret_post", "client_secret_jwt"];
/** The methods provisio's token, revocation and introspection endpoints authenticate clients with. */
export const TOKEN_ENDPOINT_METHODS: readonly string[] = ["private_key_jwt", "client_secret_basic", "client_secret_post"];
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
    jwks_uri: z.string().max(1024).optional(),
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

/** An OAuth 2.0 client's settings and credentials, as stored in the app's JSON, and a client secret the request gave. */
export interface OAuthClientParts {
  settingsClient: Json & { grant_types: string[]; application_type: string; jwks?: { keys: ClientJwk[] }; jwks_uri?: string };
  credentialsClient: Json & { client_id: string; token_endpoint_auth_method: string };
  /** `credentials.oauthClient.client_secret` as given (kept only as a hash, never in the app's JSON). */
  clientSecret?: string;
}

/** Okta's rules for a client secret an administrator brings (its own error texts). */
export function clientSecretProblems(secret: string, authMethod: string, path = "client_secret"): string[] {
  if (!SECRET_METHODS.includes(authMethod)) {
    return [`'client_secret' can't be used when 'token_endpoint_auth_method' is '${authMethod}'.`];
  }
  if (!/^[\x20-\x7e]+$/.test(secret)) return [`${path}: 'client_secret' must only contain printable ASCII: [x20-x7E]+`];
  if (authMethod === "client_secret_jwt" && secret.length < 32)
    return [`${path}: 'client_secret' must be at least '32' characters long when 'token_endpoint_auth_method' is 'client_secret_jwt'.`];
  if (secret.length < 14) return [`${path}: 'client_secret' must be at least '14' characters long.`];
  if (secret.length > 100) return [`${path}: 'client_secret' can't be more than '100' characters long.`];
  return [];
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
 * as in Okta when none is given. Service apps authenticate with private_key_jwt (keys inline in
 * `jwks`, or published at `jwks_uri`, fetched through the outbound URL rules) or with a client
 * secret (client_secret_basic, client_secret_post), which is returned to be stored as a hash only.
 */
export async function oauthClientParts(
  appId: string,
  settings: Json | undefined,
  credentials: Json | undefined,
  access: DownstreamAccess,
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
  const { client_secret: clientSecret, ...creds } = parsedCredentials.data;
  const applicationType = client.application_type ?? "web";
  const authMethod = creds.token_endpoint_auth_method ?? "client_secret_basic";
  if (creds.client_id !== undefined && creds.client_id !== appId) {
    problems.push(`credentials.oauthClient.client_id: provisio uses the app id as the client id; leave it out`);
  }
  if (clientSecret !== undefined) problems.push(...clientSecretProblems(clientSecret, authMethod, "credentials.oauthClient.client_secret"));
  if (client.jwks_uri !== undefined) {
    if (client.jwks) problems.push("settings.oauthClient.jwks_uri: give the keys either inline (jwks) or at jwks_uri, not both");
    else problems.push(...urlProblems(client.jwks_uri, access));
  }
  if (applicationType === "service") {
    const other = client.grant_types.filter((grant) => !SERVICE_GRANTS.includes(grant));
    if (other.length > 0) problems.push(`settings.oauthClient.grant_types: a service app cannot use ${other.join(", ")}`);
    if (!TOKEN_ENDPOINT_METHODS.includes(authMethod))
      problems.push(
        `credentials.oauthClient.token_endpoint_auth_method: a service app authenticates with ${TOKEN_ENDPOINT_METHODS.join(", ")} here`,
      );
  }
  let keys: ClientJwk[] | undefined;
  if (client.jwks) {
    const checked = await checkClientKeys(client.jwks.keys, "settings.oauthClient.jwks.keys");
    problems.push(...checked.problems);
    keys = checked.keys;
  }
  if (authMethod === "private_key_jwt" && problems.length === 0 && !client.jwks_uri && !keys?.some((key) => key.status === "ACTIVE")) {
    problems.push("settings.oauthClient.jwks.keys: private_key_jwt needs at least one ACTIVE public key (or a jwks_uri)");
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
    ...(clientSecret !== undefined ? { clientSecret } : {}),
  };
}

function urlProblems(uri: string, access: DownstreamAccess): string[] {
  try {
    checkDownstreamUrl(uri, access, "settings.oauthClient.jwks_uri");
    return [];
  } catch (error) {
    if (error instanceof DomainError) return error.causes;
    throw error;
  }
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
    ...(typeof client.jwks_uri === "string" ? { jwksUri: client.jwks_uri } : {}),
  };
}
