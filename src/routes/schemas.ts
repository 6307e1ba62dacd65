import { Hono } from "hono";
import { getAppUserSchema } from "../db/queries/app-user-schemas";
import { requireScope } from "../http/auth";
import { auditOf } from "../http/audit";
import type { AppEnv } from "../http/context";
import { requireApp } from "../services/lookups";
import { baseUrl } from "../http/pagination";
import { jsonBody } from "../http/validation";
import { updateAppUserSchema } from "../services/app-profiles";
import { appUserSchemaJson, appUserSchemaUpdate } from "../wire/app-user-schema";

/** /api/v1/meta/schemas/apps/{appId}/default: the app user schema (base + custom attributes). */
export const schemasRoutes = new Hono<AppEnv>()
  .get("/apps/:appId/default", requireScope("okta.schemas.read"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    return c.json(appUserSchemaJson(app, await getAppUserSchema(db, app.id), baseUrl(c)));
  })
  .post("/apps/:appId/default", requireScope("okta.schemas.manage"), jsonBody(appUserSchemaUpdate, "schema"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    const posted = c.req.valid("json").definitions.custom.properties ?? {};
    const saved = await updateAppUserSchema(c.env, db, app, posted, await auditOf(c));
    return c.json(appUserSchemaJson(app, saved, baseUrl(c)));
  });
