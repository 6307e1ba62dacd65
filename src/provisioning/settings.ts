import { open } from "../crypto/secret-box";
import type { AppProvisioningRow } from "../db/schema";
import { modeOf, PROVISIONING_OFF, type ProvisioningMode } from "./capabilities";
import type { ScimConnection } from "./scim-client";

// HEADER keeps its value as `header` (sent verbatim), TOKEN as `token` (sent as "Bearer <token>").
export type StoredCredentials = { token: string } | { username: string; password: string } | { header: string };

/** What the coordinator needs to provision an app: what to do, and how to reach the app. */
export interface ProvisioningSettings {
  mode: ProvisioningMode;
  connection: ScimConnection | undefined;
  requestsPerSecond: number;
}

export const NO_PROVISIONING: ProvisioningSettings = { mode: PROVISIONING_OFF, connection: undefined, requestsPerSecond: 0 };

export async function settingsFrom(row: AppProvisioningRow | undefined, env: Env): Promise<ProvisioningSettings> {
  if (!row) return NO_PROVISIONING;
  const enabled = row.connectionStatus === "ENABLED";
  const credentials = JSON.parse(await open(env.CREDENTIALS_KEY, row.credentialsBox)) as StoredCredentials;
  return {
    mode: modeOf(enabled, row.capabilities),
    connection: enabled
      ? { baseUrl: row.baseUrl, authorization: authorizationHeader(credentials), timeoutMs: Number(env.DOWNSTREAM_TIMEOUT_MS) || 10_000 }
      : undefined,
    requestsPerSecond: row.requestsPerSecond,
  };
}

export function authorizationHeader(credentials: StoredCredentials): string {
  if ("token" in credentials) return `Bearer ${credentials.token}`;
  if ("header" in credentials) return credentials.header;
  const bytes = new TextEncoder().encode(`${credentials.username}:${credentials.password}`);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}
