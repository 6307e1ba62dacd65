import { Hono } from "hono";
import { z } from "zod";
import { getAppUser, getAppUserWithUser, listAppUsers } from "../db/queries/app-users";
import { appUserColumns, appUserFilterRules } from "../db/queries/search-rules";
import { appCoordinator } from "../coordinator/client";
import { DomainError } from "../domain/errors";
import { APP_USER_SCOPES } from "../domain/app-user-states";
import { requireScope } from "../http/auth";
import { auditOf } from "../http/audit";
import type { AppEnv } from "../http/context";
import { requireApp } from "../services/lookups";
import { baseUrl, limitParam, respondWithPage } from "../http/pagination";
import { afterId, whereFrom } from "../http/search-params";
import { jsonBody, queryParams } from "../http/validation";
import { profileCaps } from "../http/request-caps";
import { appUserJson, assignAppUserSchema, updateAppUserSchema } from "../wire/app-user";
import { booleanParam } from "../wire/common";

const expandUser = z.enum(["user"]).optional();

const listQuery = z.object({
  q: z.string().max(256).optional(),
  after: z.string().optional(),
  limit: limitParam(50, 500),
  expand: expandUser,
  filter: z.string().max(1024).optional(),
  // Accepted for SDK 7.0-7.2, which sent it (okta-reference.md §2.1).
  query_scope: z.enum(APP_USER_SCOPES).optional(),
});

/** /api/v1/apps/{appId}/users: reads from D1, changes through the app's coordinator. */
export const appUsersRoutes = new Hono<AppEnv>()
  .get("/:appId/users", requireScope("okta.apps.read"), queryParams(listQuery), async (c) => {
    const { appId } = c.req.param();
    const query = c.req.valid("query");
    const db = c.get("db");
    await requireApp(db, appId);
    const rows = await listAppUsers(db, {
      appId,
      q: query.q,
      scope: query.query_scope,
      where: whereFrom(query.filter, "filter", appUserFilterRules, appUserColumns),
      afterUserId: afterId(query.after),
      limit: query.limit,
      withUser: query.expand !== undefined,
    });
    const items = respondWithPage(c, rows, query.limit, (row) => [row.appUser.userId]);
    const base = baseUrl(c);
    return c.json(items.map((row) => appUserJson(row.appUser, base, query.expand ? row.user : undefined)));
  })
  .post("/:appId/users", requireScope("okta.apps.manage"), jsonBody(assignAppUserSchema, "assignment"), profileCaps, async (c) => {
    const { appId } = c.req.param();
    const row = await appCoordinator(c.env, appId, await auditOf(c)).assignUser(c.req.valid("json"));
    return c.json(appUserJson(row, baseUrl(c)));
  })
  .get("/:appId/users/:userId", requireScope("okta.apps.read"), queryParams(z.object({ expand: expandUser })), async (c) => {
    const { appId, userId } = c.req.param();
    const db = c.get("db");
    // One query when the app user exists (it cannot without its app); the app is looked up only
    // to tell "no such app" from "not assigned". The user row is read only for expand=user.
    const expand = c.req.valid("query").expand;
    const found = expand ? await getAppUserWithUser(db, appId, userId) : { appUser: await getAppUser(db, appId, userId), user: undefined };
    if (!found?.appUser) {
      await requireApp(db, appId);
      throw DomainError.notFound(`${appId}/${userId}`, "AppUser");
    }
    return c.json(appUserJson(found.appUser, baseUrl(c), found.user));
  })
  .post("/:appId/users/:userId", requireScope("okta.apps.manage"), jsonBody(updateAppUserSchema, "appUser"), profileCaps, async (c) => {
    const { appId, userId } = c.req.param();
    const row = await appCoordinator(c.env, appId, await auditOf(c)).updateUser(userId, c.req.valid("json"));
    return c.json(appUserJson(row, baseUrl(c)));
  })
  .delete(
    "/:appId/users/:userId",
    requireScope("okta.apps.manage"),
    // sendEmail is accepted for compatibility; provisio sends no email.
    queryParams(z.object({ sendEmail: booleanParam(false) })),
    async (c) => {
      const { appId, userId } = c.req.param();
      const outcome = await appCoordinator(c.env, appId, await auditOf(c)).unassignUser(userId);
      if (!outcome.removed) {
        // The direct grant is gone but a group still grants the app: the user stays, as GROUP.
        console.log(
          JSON.stringify({ requestId: c.get("requestId"), event: "app_user.direct_grant_removed", appId, userId, retainedBy: "GROUP" }),
        );
        c.header("X-Provisio-Assignment-Retained-By", "GROUP");
      }
      return c.body(null, 204);
    },
  );
