import { Hono } from "hono";
import { z } from "zod";
import { listApps } from "../db/queries/apps";
import { appColumns, appFilterRules } from "../db/queries/search-rules";
import { requireScope } from "../http/auth";
import { auditOf } from "../http/audit";
import type { AppEnv } from "../http/context";
import { requireApp } from "../services/lookups";
import { baseUrl, limitParam, respondWithPage } from "../http/pagination";
import { afterId, whereFrom } from "../http/search-params";
import { jsonBody, queryParams } from "../http/validation";
import { createApp, deleteApp, replaceApp, setAppStatus } from "../services/apps";
import { cloneApp } from "../services/app-instances";
import { getIntegration } from "../db/queries/app-integrations";
import { appIntegrationJson } from "../wire/app-integration";
import { appJson, appJsonWithSecret, applicationSchema, cloneRequestSchema } from "../wire/app";
import { booleanParam } from "../wire/common";

const listQuery = z.object({
  q: z.string().max(256).optional(),
  filter: z.string().max(2048).optional(),
  after: z.string().optional(),
  limit: limitParam(20, 200),
  // Accepted for Okta compatibility; they change nothing here.
  useOptimization: booleanParam(false),
  alwaysIncludeVpnSettings: booleanParam(false),
  includeNonDeleted: booleanParam(false),
});

export const appsRoutes = new Hono<AppEnv>()
  .post(
    "/",
    requireScope("okta.apps.manage"),
    queryParams(z.object({ activate: booleanParam(true) })),
    jsonBody(applicationSchema, "application"),
    async (c) => {
      const { app, clientSecret } = await createApp(
        c.env,
        c.get("db"),
        c.req.valid("json"),
        c.req.valid("query").activate,
        await auditOf(c),
      );
      return c.json(appJsonWithSecret(app, baseUrl(c), clientSecret));
    },
  )
  .get("/", requireScope("okta.apps.read"), queryParams(listQuery), async (c) => {
    const query = c.req.valid("query");
    const where = whereFrom(query.filter, "filter", appFilterRules, appColumns);
    const rows = await listApps(c.get("db"), { q: query.q, where, afterId: afterId(query.after), limit: query.limit });
    const items = respondWithPage(c, rows, query.limit, (row) => [row.id]);
    const base = baseUrl(c);
    return c.json(items.map((app) => appJson(app, base)));
  })
  .get("/:appId", requireScope("okta.apps.read"), async (c) => {
    return c.json(appJson(await requireApp(c.get("db"), c.req.param("appId")), baseUrl(c)));
  })
  .put("/:appId", requireScope("okta.apps.manage"), jsonBody(applicationSchema, "application"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    const { app: replaced, clientSecret } = await replaceApp(c.env, db, app, c.req.valid("json"), await auditOf(c));
    return c.json(appJsonWithSecret(replaced, baseUrl(c), clientSecret));
  })
  .delete("/:appId", requireScope("okta.apps.manage"), async (c) => {
    await deleteApp(c.env, await requireApp(c.get("db"), c.req.param("appId")), await auditOf(c));
    return c.body(null, 204);
  })
  // provisio extension: a separate instance of the app (for example one only for provisioning).
  .post(
    "/:appId/clone",
    requireScope("okta.apps.manage"),
    queryParams(z.object({ activate: booleanParam(true) })),
    jsonBody(cloneRequestSchema, "application"),
    async (c) => {
      const db = c.get("db");
      const source = await requireApp(db, c.req.param("appId"));
      const { app: clone, clientSecret } = await cloneApp(
        c.env,
        db,
        source,
        c.req.valid("json"),
        c.req.valid("query").activate,
        await auditOf(c),
      );
      // A clone of a client-secret OAuth client gets a secret of its own, shown once.
      return c.json(appJsonWithSecret(clone, baseUrl(c), clientSecret));
    },
  )
  .get("/:appId/integration", requireScope("okta.apps.read"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    return c.json(appIntegrationJson(app.id, await getIntegration(db, app.id), baseUrl(c)));
  })
  .post("/:appId/lifecycle/activate", requireScope("okta.apps.manage"), async (c) => {
    const db = c.get("db");
    await setAppStatus(c.env, db, await requireApp(db, c.req.param("appId")), "ACTIVE", await auditOf(c));
    return c.json({});
  })
  .post("/:appId/lifecycle/deactivate", requireScope("okta.apps.manage"), async (c) => {
    const db = c.get("db");
    await setAppStatus(c.env, db, await requireApp(db, c.req.param("appId")), "INACTIVE", await auditOf(c));
    return c.json({});
  });
