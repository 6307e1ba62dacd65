import { z } from "zod";
import type { AppRow, AppUserSchemaRow } from "../db/schema";
import { BASE_ATTRIBUTES } from "../mappings/app-user-schema";
import { iso } from "./common";

/** POST body: a partial UserSchema; only `definitions.custom` can change (null removes). */
export const appUserSchemaUpdate = z
  .object({
    definitions: z
      .object({
        custom: z
          .object({ properties: z.record(z.string(), z.unknown()).optional(), required: z.array(z.string()).optional() })
          .catchall(z.unknown()),
      })
      .catchall(z.unknown()),
  })
  .catchall(z.unknown());

export function appUserSchemaJson(app: AppRow, row: AppUserSchemaRow | undefined, base: string) {
  const custom = row?.custom ?? {};
  const self = `${base}/api/v1/meta/schemas/apps/${app.id}/default`;
  return {
    id: `${base}/meta/schemas/apps/${app.id}/default`,
    $schema: "http://json-schema.org/draft-04/schema#",
    name: app.name,
    title: app.label,
    lastUpdated: iso(row?.lastUpdated ?? app.lastUpdated),
    created: iso(row?.created ?? app.created),
    definitions: {
      base: { id: "#base", type: "object", properties: BASE_ATTRIBUTES, required: ["userName"] },
      custom: {
        id: "#custom",
        type: "object",
        properties: custom,
        required: Object.entries(custom).flatMap(([name, def]) => (def.required ? [name] : [])),
      },
    },
    type: "object",
    properties: { profile: { allOf: [{ $ref: "#/definitions/base" }, { $ref: "#/definitions/custom" }] } },
    _links: { self: { href: self, method: "GET" }, app: { href: `${base}/api/v1/apps/${app.id}` } },
  };
}
