import { Hono } from "hono";
import type { DB } from "../db/client";
import type { AppRow } from "../db/schema";
import { getApp } from "../db/queries/apps";
import { getAppUserSchema } from "../db/queries/app-user-schemas";
import { DomainError } from "../domain/errors";
import { requireScope } from "../http/auth";
import type { AppEnv } from "../http/context";
import { baseUrl } from "../http/pagination";
import { jsonBody } from "../http/validation";
import { updateAppUserSchema } from "../services/app-profiles";
import { appUserSchemaJson, appUserSchemaUpdate } from "../wire/app-user-schema";

async function requireApp(db: DB, appId: string): Promise<AppRow> {
  const app = await getApp(db, appId);
  if (!app) throw DomainError.notFound(appId, "AppInstance");
  return app;
}

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
    const saved = await updateAppUserSchema(c.env, db, app, posted);
    return c.json(appUserSchemaJson(app, saved, baseUrl(c)));
  });
