import { z } from "zod";
import type { AppGroupRow, GroupRow } from "../db/schema";
import { iso, jsonObject } from "./common";
import { groupJson } from "./group";

/** PUT body (optional): Okta's ApplicationGroupAssignment; `id`, `lastUpdated`, `_links` are read-only. */
export const groupAssignmentSchema = z.object({
  priority: z.number().int().min(0).optional(),
  profile: jsonObject.optional(),
});

export const jsonPatchSchema = z
  .array(
    z.object({
      op: z.enum(["add", "replace", "remove"]),
      path: z.string().min(1).max(512),
      value: z.unknown().optional(),
    }),
  )
  .min(1)
  .max(100);

export function appGroupJson(row: AppGroupRow, base: string, embed: { group?: GroupRow; metadata?: boolean } = {}) {
  const embedded: Record<string, unknown> = {};
  if (embed.group) embedded.group = groupJson(embed.group, base);
  if (embed.metadata) {
    // Every value of a group assignment's profile is set on the assignment itself.
    embedded.metadata = {
      profile: Object.fromEntries(
        Object.keys(row.profile).map((key) => [key, { source: { type: "USER" }, lastUpdated: iso(row.lastUpdated) }]),
      ),
    };
  }
  return {
    id: row.groupId,
    lastUpdated: iso(row.lastUpdated),
    priority: row.priority,
    profile: row.profile,
    ...(Object.keys(embedded).length > 0 ? { _embedded: embedded } : {}),
    _links: {
      app: { href: `${base}/api/v1/apps/${row.appId}` },
      self: { href: `${base}/api/v1/apps/${row.appId}/groups/${row.groupId}` },
      group: { href: `${base}/api/v1/groups/${row.groupId}` },
    },
  };
}
