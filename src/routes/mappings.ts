import { Hono } from "hono";
import { z } from "zod";
import type { DB } from "../db/client";
import type { AppRow, ProfileMappingRow } from "../db/schema";
import { getApp } from "../db/queries/apps";
import { getMapping, listMappings } from "../db/queries/mappings";
import { DomainError } from "../domain/errors";
import { requireScope } from "../http/auth";
import { auditOf } from "../http/audit";
import type { AppEnv } from "../http/context";
import { baseUrl, limitParam, respondWithPage } from "../http/pagination";
import { afterId } from "../http/search-params";
import { jsonBody, queryParams } from "../http/validation";
import { updateMapping } from "../services/app-profiles";
import { DEFAULT_USER_TYPE_ID } from "../wire/user";
import { mappingJson, mappingUpdateSchema } from "../wire/mapping";

const listQuery = z.object({
  after: z.string().optional(),
  limit: limitParam(20, 200),
  sourceId: z.string().optional(),
  targetId: z.string().optional(),
});

async function requireMapping(db: DB, id: string): Promise<{ mapping: ProfileMappingRow; app: AppRow }> {
  const mapping = await getMapping(db, id);
  const app = mapping ? await getApp(db, mapping.appId) : undefined;
  if (!mapping || !app) throw DomainError.notFound(id, "ProfileMapping");
  return { mapping, app };
}

/** /api/v1/mappings: the Okta user -> app user mapping of each app. */
export const mappingsRoutes = new Hono<AppEnv>()
  .get("/", requireScope("okta.profileMappings.read"), queryParams(listQuery), async (c) => {
    const { after, limit, sourceId, targetId } = c.req.valid("query");
    const db = c.get("db");
    // Only user-type -> app mappings exist here, so another source matches nothing.
    const rows = sourceId && sourceId !== DEFAULT_USER_TYPE_ID ? [] : await listMappings(db, targetId, afterId(after), limit);
    const items = respondWithPage(c, rows, limit, (row) => [row.id]);
    const base = baseUrl(c);
    const apps = await Promise.all(items.map((row) => getApp(db, row.appId)));
    return c.json(items.flatMap((row, i) => (apps[i] ? [mappingJson(row, apps[i]!, base, false)] : [])));
  })
  .get("/:mappingId", requireScope("okta.profileMappings.read"), async (c) => {
    const { mapping, app } = await requireMapping(c.get("db"), c.req.param("mappingId"));
    return c.json(mappingJson(mapping, app, baseUrl(c), true));
  })
  .post("/:mappingId", requireScope("okta.profileMappings.manage"), jsonBody(mappingUpdateSchema, "mapping"), async (c) => {
    const db = c.get("db");
    const { mapping, app } = await requireMapping(db, c.req.param("mappingId"));
    const updated = await updateMapping(c.env, db, mapping, c.req.valid("json").properties, await auditOf(c));
    return c.json(mappingJson(updated, app, baseUrl(c), true));
  });
