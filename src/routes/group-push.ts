import { Hono } from "hono";
import { z } from "zod";
import type { DB } from "../db/client";
import type { GroupPushMappingRow } from "../db/schema";
import { getPushMapping, listPushMappings } from "../db/queries/group-push";
import { DomainError } from "../domain/errors";
import { requireScope } from "../http/auth";
import { auditOf } from "../http/audit";
import type { AppEnv } from "../http/context";
import { requireApp } from "../services/lookups";
import { baseUrl, limitParam, respondWithPage } from "../http/pagination";
import { afterId } from "../http/search-params";
import { jsonBody, queryParams } from "../http/validation";
import { createPushMapping, removePushMapping, setPushMappingStatus } from "../services/group-push";
import { booleanParam } from "../wire/common";
import { createPushMappingSchema, pushMappingJson, updatePushMappingSchema } from "../wire/group-push";

async function requireMapping(db: DB, appId: string, id: string): Promise<GroupPushMappingRow> {
  const mapping = await getPushMapping(db, appId, id);
  if (!mapping) throw DomainError.notFound(id, "GroupPushMapping");
  return mapping;
}

const listQuery = z.object({
  after: z.string().optional(),
  limit: limitParam(100, 1000),
  lastUpdated: z.iso.datetime({ offset: true }).optional(),
  sourceGroupId: z.string().optional(),
  status: z.enum(["ACTIVE", "ERROR", "INACTIVE"]).optional(),
});

/** /api/v1/apps/{appId}/group-push/mappings (Okta's GroupPushMapping API). */
export const groupPushRoutes = new Hono<AppEnv>()
  .get("/:appId/group-push/mappings", requireScope("okta.apps.read"), queryParams(listQuery), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    const query = c.req.valid("query");
    const rows = await listPushMappings(db, {
      appId: app.id,
      afterId: afterId(query.after),
      limit: query.limit,
      sourceGroupId: query.sourceGroupId,
      status: query.status,
      lastUpdatedFrom: query.lastUpdated ? new Date(query.lastUpdated) : undefined,
    });
    const items = respondWithPage(c, rows, query.limit, (row) => [row.id]);
    const base = baseUrl(c);
    return c.json(items.map((row) => pushMappingJson(row, base)));
  })
  .post("/:appId/group-push/mappings", requireScope("okta.apps.manage"), jsonBody(createPushMappingSchema, "mapping"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    return c.json(pushMappingJson(await createPushMapping(c.env, db, app, c.req.valid("json"), await auditOf(c)), baseUrl(c)), 201);
  })
  .get("/:appId/group-push/mappings/:mappingId", requireScope("okta.apps.read"), async (c) => {
    const db = c.get("db");
    return c.json(pushMappingJson(await requireMapping(db, c.req.param("appId"), c.req.param("mappingId")), baseUrl(c)));
  })
  .patch(
    "/:appId/group-push/mappings/:mappingId",
    requireScope("okta.apps.manage"),
    jsonBody(updatePushMappingSchema, "mapping"),
    async (c) => {
      const db = c.get("db");
      const mapping = await requireMapping(db, c.req.param("appId"), c.req.param("mappingId"));
      const row = await setPushMappingStatus(c.env, db, mapping, c.req.valid("json").status, await auditOf(c));
      return c.json(pushMappingJson(row, baseUrl(c)));
    },
  )
  .delete(
    "/:appId/group-push/mappings/:mappingId",
    requireScope("okta.apps.manage"),
    queryParams(z.object({ deleteTargetGroup: booleanParam(false) })),
    async (c) => {
      const db = c.get("db");
      const mapping = await requireMapping(db, c.req.param("appId"), c.req.param("mappingId"));
      await removePushMapping(c.env, db, mapping, c.req.valid("query").deleteTargetGroup, await auditOf(c));
      return c.body(null, 204);
    },
  );
