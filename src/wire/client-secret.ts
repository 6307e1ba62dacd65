import { z } from "zod";
import type { OAuthClientSecretRow } from "../db/schema";
import { iso } from "./common";

const link = (url: string, method: string) => ({ href: url, hints: { allow: [method] } });

/** Okta's OAuth2ClientSecretRequestBody: bring a secret, or leave it out for a generated one. */
export const createClientSecretSchema = z.object({
  client_secret: z.string().max(1024).optional(),
  status: z.enum(["ACTIVE", "INACTIVE"]).optional(),
});
export type CreateClientSecretInput = z.infer<typeof createClientSecretSchema>;

/**
 * Okta's OAuth2ClientSecret. `client_secret` is there only in the answer that created it (the
 * value is never stored); `secret_hash` tells secrets apart.
 */
export function clientSecretJson(row: OAuthClientSecretRow, base: string, shown?: string) {
  const self = `${base}/api/v1/apps/${row.appId}/credentials/secrets/${row.id}`;
  return {
    id: row.id,
    status: row.status,
    ...(shown !== undefined ? { client_secret: shown } : {}),
    secret_hash: row.fingerprint,
    created: iso(row.created),
    lastUpdated: iso(row.lastUpdated),
    _links:
      row.status === "ACTIVE"
        ? { deactivate: link(`${self}/lifecycle/deactivate`, "POST") }
        : { activate: link(`${self}/lifecycle/activate`, "POST"), delete: link(self, "DELETE") },
  };
}
