import { z } from "zod";
import type { GroupRow } from "../db/schema";
import { href, iso } from "./common";

export const groupProfileSchema = z
  .object({ name: z.string().min(1).max(255), description: z.string().max(1024).nullable().optional() })
  .catchall(z.unknown());
export type GroupProfileInput = z.infer<typeof groupProfileSchema>;

export const groupBodySchema = z.object({ profile: groupProfileSchema });

export type GroupStats = { usersCount: number; appsCount: number; groupPushMappingsCount: number; hasAdminPrivilege: boolean };

export function groupJson(row: GroupRow, base: string, stats?: GroupStats) {
  const self = `${base}/api/v1/groups/${row.id}`;
  return {
    id: row.id,
    created: iso(row.created),
    lastUpdated: iso(row.lastUpdated),
    lastMembershipUpdated: iso(row.lastMembershipUpdated),
    objectClass: ["okta:user_group"],
    type: row.type,
    profile: row.profile,
    ...(stats ? { _embedded: { stats } } : {}),
    _links: {
      users: href(`${self}/users`),
      apps: href(`${self}/apps`),
    },
  };
}
