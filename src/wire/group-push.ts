import { z } from "zod";
import type { GroupPushMappingRow } from "../db/schema";
import { iso } from "./common";

export const createPushMappingSchema = z.object({
  sourceGroupId: z.string().min(1).max(64),
  targetGroupId: z.string().min(1).max(256).optional(),
  targetGroupName: z.string().min(1).max(255).optional(),
  status: z.enum(["ACTIVE", "INACTIVE"]).optional(),
  appConfig: z.record(z.string(), z.unknown()).optional(),
});
export type CreatePushMappingInput = z.infer<typeof createPushMappingSchema>;

export const updatePushMappingSchema = z.object({ status: z.enum(["ACTIVE", "INACTIVE"]) });

export function pushMappingJson(row: GroupPushMappingRow, base: string) {
  return {
    id: row.id,
    sourceGroupId: row.sourceGroupId,
    // Typed as strings in Okta's schema: left out until known.
    ...(row.targetGroupId ? { targetGroupId: row.targetGroupId } : {}),
    status: row.status,
    ...(row.errorSummary ? { errorSummary: row.errorSummary } : {}),
    ...(row.lastPush ? { lastPush: iso(row.lastPush) } : {}),
    created: iso(row.created),
    lastUpdated: iso(row.lastUpdated),
    _links: {
      app: { href: `${base}/api/v1/apps/${row.appId}` },
      sourceGroup: { href: `${base}/api/v1/groups/${row.sourceGroupId}` },
      ...(row.targetGroupId ? { targetGroup: { href: `${base}/api/v1/apps/${row.appId}/group-push/mappings/${row.id}` } } : {}),
    },
  };
}
