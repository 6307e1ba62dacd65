import { Hono } from "hono";
import { z } from "zod";
import { CATALOG_VERSION, searchCatalog } from "../catalog/catalog";
import { decodeCursor } from "../domain/cursor";
import { requireScope } from "../http/auth";
import type { AppEnv } from "../http/context";
import { baseUrl, limitParam, respondWithPage } from "../http/pagination";
import { queryParams } from "../http/validation";
import { catalogEntryJson } from "../wire/catalog";

/** GET /api/v1/catalog/apps (provisio extension): the integration catalog, searched with `q` and paged. */
export const catalogRoutes = new Hono<AppEnv>().get(
  "/apps",
  requireScope("okta.apps.read"),
  queryParams(z.object({ q: z.string().max(256).optional(), after: z.string().max(512).optional(), limit: limitParam(20, 200) })),
  (c) => {
    const { q, after, limit } = c.req.valid("query");
    const afterName = after === undefined ? undefined : String(decodeCursor(after, 1)[0]);
    const items = respondWithPage(c, searchCatalog({ q, afterName, limit }), limit, (template) => [template.name]);
    const base = baseUrl(c);
    c.header("X-Provisio-Catalog-Version", CATALOG_VERSION);
    return c.json(items.map((template) => catalogEntryJson(template, CATALOG_VERSION, base)));
  },
);
