import { z } from "zod";
import type { AppProvisioningRow, AppRow } from "../db/schema";
import { capabilitiesPatchSchema } from "../provisioning/capabilities";

/**
 * ProvisioningConnectionRequest (TOKEN), plus two additive schemes: Basic credentials, and HEADER
 * (an Authorization header value sent exactly as given, for SCIM servers that take a raw token).
 */
export const connectionRequestSchema = z.object({
  baseUrl: z.string().min(1).max(2048),
  profile: z.discriminatedUnion("authScheme", [
    z.object({ authScheme: z.literal("TOKEN"), token: z.string().min(1).max(4096).optional() }),
    z.object({ authScheme: z.literal("BASIC"), username: z.string().min(1).max(256), password: z.string().min(1).max(1024).optional() }),
    z.object({
      authScheme: z.literal("HEADER"),
      // One header value: printable, no line breaks (which would split it into two headers).
      token: z
        .string()
        .min(1)
        .max(4096)
        .regex(/^[\x20-\x7e]+$/, "printable ASCII only")
        .optional(),
    }),
  ]),
  // provisio extension: outbound pacing for this app (0 = unpaced).
  pacing: z.object({ requestsPerSecond: z.number().int().min(0).max(10_000) }).optional(),
});
export type ConnectionRequest = z.infer<typeof connectionRequestSchema>;

export const featureUpdateSchema = capabilitiesPatchSchema;

export function connectionJson(row: AppProvisioningRow, app: AppRow, base: string, username: string | undefined) {
  const self = `${base}/api/v1/apps/${app.id}/connections/default`;
  const lifecycle = row.connectionStatus === "ENABLED" ? "deactivate" : "activate";
  return {
    authScheme: row.authScheme,
    status: row.connectionStatus,
    baseUrl: row.baseUrl,
    profile: { authScheme: row.authScheme, ...(username ? { username } : {}) },
    pacing: { requestsPerSecond: row.requestsPerSecond },
    _links: {
      self: { href: self, hints: { allow: ["GET", "POST"] } },
      [lifecycle]: { href: `${self}/lifecycle/${lifecycle}`, hints: { allow: ["POST"] } },
    },
  };
}

export function userProvisioningFeatureJson(row: AppProvisioningRow, app: AppRow, base: string) {
  return {
    name: "USER_PROVISIONING",
    status: row.connectionStatus,
    description: "User provisioning settings from Okta to a downstream application",
    capabilities: row.capabilities,
    _links: { self: { href: `${base}/api/v1/apps/${app.id}/features/USER_PROVISIONING`, hints: { allow: ["GET", "PUT"] } } },
  };
}

export function inboundFeatureJson(appId: string, base: string, inbound: unknown, status: string) {
  return {
    name: "INBOUND_PROVISIONING",
    status,
    description: "In-bound provisioning settings from an application to Okta",
    capabilities: inbound,
    _links: { self: { href: `${base}/api/v1/apps/${appId}/features/INBOUND_PROVISIONING`, hints: { allow: ["GET", "PUT"] } } },
  };
}
