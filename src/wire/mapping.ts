import { z } from "zod";
import type { AppRow, ProfileMappingRow } from "../db/schema";
import { DEFAULT_USER_TYPE_ID } from "./user";

// Okta's mappings are between a user type and an app; every user here has the default type.
export const mappingUpdateSchema = z.object({
  properties: z.record(
    z.string().min(1).max(100),
    z.object({
      expression: z.string().max(1024).nullable(),
      pushStatus: z.enum(["PUSH", "DONT_PUSH"]).nullable().optional(),
    }),
  ),
});

export function mappingJson(row: ProfileMappingRow, app: AppRow, base: string, withProperties: boolean) {
  return {
    id: row.id,
    source: {
      id: DEFAULT_USER_TYPE_ID,
      name: "user",
      type: "user",
      _links: {
        self: { href: `${base}/api/v1/meta/types/user/${DEFAULT_USER_TYPE_ID}` },
        schema: { href: `${base}/api/v1/meta/schemas/user/default` },
      },
    },
    target: {
      id: app.id,
      name: app.name,
      type: "appuser",
      _links: {
        self: { href: `${base}/api/v1/apps/${app.id}` },
        schema: { href: `${base}/api/v1/meta/schemas/apps/${app.id}/default` },
      },
    },
    ...(withProperties ? { properties: row.properties } : {}),
    _links: { self: { href: `${base}/api/v1/mappings/${row.id}` } },
  };
}
