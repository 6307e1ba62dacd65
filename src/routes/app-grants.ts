import { Hono } from "hono";
import { z } from "zod";
import { listGrants } from "../db/queries/oauth";
import { requireScope } from "../http/auth";
import type { AppEnv } from "../http/context";
import { baseUrl } from "../http/pagination";
import { jsonBody, queryParams } from "../http/validation";
import { grantScope, requireGrant, revokeGrant } from "../services/app-grants";
import { requireApp } from "../services/lookups";
import { grantJson, grantSchema } from "../wire/grant";

// Okta's only expand here is "scope", which provisio always embeds.
const expandQuery = z.object({ expand: z.string().max(64).optional() });

/** /api/v1/apps/{appId}/grants: Okta's Application Grants API (scope consent grants for OAuth clients). */
export const appGrantsRoutes = new Hono<AppEnv>()
  .post("/:appId/grants", requireScope("okta.appGrants.manage"), jsonBody(grantSchema, "grant"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    const base = baseUrl(c);
    const { grant, created } = await grantScope(c.env, db, app, c.req.valid("json"), base, c.get("principal"));
    return c.json(grantJson(grant, base, app.label), created ? 201 : 200);
  })
  .get("/:appId/grants", requireScope("okta.appGrants.read"), queryParams(expandQuery), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    const base = baseUrl(c);
    return c.json((await listGrants(db, app.id)).map((grant) => grantJson(grant, base, app.label)));
  })
  .get("/:appId/grants/:grantId", requireScope("okta.appGrants.read"), queryParams(expandQuery), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    return c.json(grantJson(await requireGrant(db, app.id, c.req.param("grantId")), baseUrl(c), app.label));
  })
  .delete("/:appId/grants/:grantId", requireScope("okta.appGrants.manage"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    await revokeGrant(c.env, db, await requireGrant(db, app.id, c.req.param("grantId")));
    return c.body(null, 204);
  });
