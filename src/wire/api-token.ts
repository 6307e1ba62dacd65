import { z } from "zod";
import type { ApiTokenRow } from "../db/schema";
import { TOKEN_WINDOW } from "../domain/api-tokens";
import { iso } from "./common";

/** provisio extension: mint a token (Okta creates them only in its Admin Console). */
export const createApiTokenSchema = z.object({
  name: z.string().trim().min(1).max(255),
  // The Okta user the token is recorded against (optional; metadata only).
  userId: z.string().min(1).max(64).optional(),
});

/** Okta's ApiTokenUpdate: `name` and the network condition; only ANYWHERE (no network zones here). */
export const updateApiTokenSchema = z.object({
  name: z.string().trim().min(1).max(255).optional(),
  clientName: z.string().optional(),
  userId: z.string().optional(),
  created: z.string().optional(),
  network: z
    .object({
      connection: z.literal("ANYWHERE", "network.connection: only ANYWHERE is supported (provisio has no network zones)"),
      include: z.array(z.string()).max(0).optional(),
      exclude: z.array(z.string()).max(0).optional(),
    })
    .optional(),
});

/** Okta's ApiToken. The token's value is never part of it (only `token` on the mint response). */
export function apiTokenJson(row: ApiTokenRow, base: string) {
  return {
    id: row.id,
    name: row.name,
    ...(row.userId ? { userId: row.userId } : {}),
    clientName: row.clientName,
    created: iso(row.created),
    lastUpdated: iso(row.lastUpdated),
    // The bootstrap token does not expire (it is replaced by rotating BOOTSTRAP_API_TOKEN).
    ...(row.expiresAt ? { expiresAt: iso(row.expiresAt) } : {}),
    tokenWindow: TOKEN_WINDOW,
    network: row.network,
    _links: {
      self: { href: `${base}/api/v1/api-tokens/${row.id}`, hints: { allow: ["GET", "DELETE"] } },
      ...(row.userId ? { user: { href: `${base}/api/v1/users/${row.userId}`, hints: { allow: ["GET"] } } } : {}),
    },
  };
}
