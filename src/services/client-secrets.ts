import type { BatchItem } from "drizzle-orm/batch";
import { batchAll, type DB } from "../db/client";
import type { AppRow, OAuthClientSecretRow } from "../db/schema";
import * as secretQueries from "../db/queries/client-secrets";
import { generateClientSecret, hashClientSecret, secretFingerprint, verifyClientSecret } from "../crypto/client-secret";
import { DomainError } from "../domain/errors";
import { newId } from "../domain/ids";
import { clientSecretProblems, SECRET_METHODS, storedClient } from "../oauth/client-registration";
import { logStatements, type AuditContext } from "../audit/system-log";
import { clientSecretEvent } from "../audit/events";
import type { CreateClientSecretInput } from "../wire/client-secret";

// Okta's client secret management (/api/v1/apps/{appId}/credentials/secrets): at most two
// secrets per client, so one can be rotated in while the other is still in use; a secret is
// shown once, in the answer that creates it, and kept only as a PBKDF2 hash.

export const MAX_CLIENT_SECRETS = 2;

const mediated = (cause: string) => DomainError.validation("OAuth2ClientSecretMediated", cause);

/** Only OAuth 2.0 client apps have client secrets. */
export function requireOAuthClient(app: AppRow): void {
  if (app.signOnMode !== "OPENID_CONNECT") {
    throw DomainError.validation("client_secret", "client secrets belong to OAuth 2.0 client apps (signOnMode OPENID_CONNECT)");
  }
}

export async function requireClientSecret(db: DB, app: AppRow, secretId: string): Promise<OAuthClientSecretRow> {
  requireOAuthClient(app);
  const row = await secretQueries.getClientSecret(db, app.id, secretId);
  if (!row) throw DomainError.notFound(secretId, "OAuth2ClientSecret");
  return row;
}

/** A secret row (hash and fingerprint only) and the statements that store and log it. */
export async function storeSecret(
  db: DB,
  app: Pick<AppRow, "id" | "label">,
  secret: string,
  status: OAuthClientSecretRow["status"],
  audit: AuditContext | undefined,
  now = new Date(),
): Promise<{ row: OAuthClientSecretRow; statements: BatchItem<"sqlite">[] }> {
  const secretHash = await hashClientSecret(secret);
  const row: OAuthClientSecretRow = {
    id: newId("ocs", now.getTime()),
    appId: app.id,
    secretHash,
    fingerprint: await secretFingerprint(secretHash),
    status,
    created: now,
    lastUpdated: now,
  };
  return {
    row,
    statements: [secretQueries.insertClientSecret(db, row), ...logStatements(db, [clientSecretEvent("create", app, row, audit)], now)],
  };
}

/** POST .../credentials/secrets: a new secret (given, or generated), shown once. */
export async function createClientSecret(
  db: DB,
  app: AppRow,
  input: CreateClientSecretInput,
  audit?: AuditContext,
): Promise<{ row: OAuthClientSecretRow; secret: string }> {
  requireOAuthClient(app);
  const { authMethod } = storedClient(app.settings, app.credentials);
  if (!SECRET_METHODS.includes(authMethod)) {
    throw DomainError.validation("client_secret", `'client_secret' can't be used when 'token_endpoint_auth_method' is '${authMethod}'.`);
  }
  if (input.client_secret !== undefined) {
    const problems = clientSecretProblems(input.client_secret, authMethod);
    if (problems.length > 0) throw DomainError.validation("client_secret", ...problems);
  }
  const existing = await secretQueries.listClientSecrets(db, app.id);
  if (existing.length >= MAX_CLIENT_SECRETS) throw mediated("You've reached the maximum number of client secrets per client.");
  const secret = input.client_secret ?? generateClientSecret();
  const { row, statements } = await storeSecret(db, app, secret, input.status ?? "ACTIVE", audit);
  await batchAll(db, statements);
  return { row, secret };
}

/** Activate or deactivate; the only active secret of a client that authenticates with one stays active. */
export async function setClientSecretStatus(
  db: DB,
  app: AppRow,
  secret: OAuthClientSecretRow,
  status: OAuthClientSecretRow["status"],
  audit?: AuditContext,
): Promise<OAuthClientSecretRow> {
  if (secret.status === status) return secret;
  if (status === "INACTIVE" && SECRET_METHODS.includes(storedClient(app.settings, app.credentials).authMethod)) {
    const active = (await secretQueries.listClientSecrets(db, app.id)).filter((row) => row.status === "ACTIVE");
    if (active.length <= 1) throw mediated("You can't deactivate the only active client secret.");
  }
  const now = new Date();
  const updated = (await secretQueries.setClientSecretStatus(db, app.id, secret.id, status, now)) ?? secret;
  await batchAll(db, logStatements(db, [clientSecretEvent(status === "ACTIVE" ? "activate" : "deactivate", app, updated, audit)], now));
  return updated;
}

/** DELETE: only an inactive secret. */
export async function removeClientSecret(db: DB, app: AppRow, secret: OAuthClientSecretRow, audit?: AuditContext): Promise<void> {
  if (secret.status === "ACTIVE") throw mediated("You can't delete an active client secret. Deactivate the secret before deleting it.");
  await secretQueries.deleteClientSecret(db, app.id, secret.id);
  await batchAll(db, logStatements(db, [clientSecretEvent("delete", app, secret, audit)]));
}

/**
 * The client secret an app created or replaced with a secret method ends up with. A secret the
 * request gives replaces the stored ones unless it is one of them (Terraform sends back the one
 * it was shown); without one, a client that has no active secret gets a generated one. Returns
 * the statements for the app's batch and the value to show once, if a new secret was made.
 */
export async function secretForApp(
  db: DB,
  app: Pick<AppRow, "id" | "label">,
  authMethod: string,
  given: string | undefined,
  audit: AuditContext | undefined,
  isNew: boolean,
): Promise<{ statements: BatchItem<"sqlite">[]; shown?: string }> {
  if (!SECRET_METHODS.includes(authMethod)) return { statements: [] };
  const existing = isNew ? [] : await secretQueries.listClientSecrets(db, app.id);
  if (given !== undefined) {
    for (const row of existing) if (await verifyClientSecret(given, row.secretHash)) return { statements: [] };
  } else if (existing.some((row) => row.status === "ACTIVE")) {
    return { statements: [] };
  } else if (existing.length >= MAX_CLIENT_SECRETS) {
    throw mediated("You've reached the maximum number of client secrets per client.");
  }
  const secret = given ?? generateClientSecret();
  const stored = await storeSecret(db, app, secret, "ACTIVE", audit);
  const replaced = given !== undefined && existing.length > 0;
  return {
    statements: [
      ...(replaced
        ? [
            secretQueries.deleteClientSecrets(db, app.id),
            ...logStatements(
              db,
              existing.map((row) => clientSecretEvent("delete", app, row, audit)),
            ),
          ]
        : []),
      ...stored.statements,
    ],
    shown: secret,
  };
}
