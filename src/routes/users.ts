import { Hono, type Context } from "hono";
import { z } from "zod";
import type { DB } from "../db/client";
import type { UserRow } from "../db/schema";
import { findUserByIdOrLogin, listUsers } from "../db/queries/users";
import { groupsOfUser } from "../db/queries/groups";
import { userColumns, userFilterRules, userSearchRules } from "../db/queries/search-rules";
import { DomainError } from "../domain/errors";
import type { LifecycleOperation } from "../domain/user-lifecycle";
import { requireScope } from "../http/auth";
import { auditOf } from "../http/audit";
import type { AppEnv } from "../http/context";
import { baseUrl, limitParam, respondWithPage } from "../http/pagination";
import { afterId, oneOfFilterOrSearch, whereFrom } from "../http/search-params";
import { jsonBody, queryParams } from "../http/validation";
import { profileCaps } from "../http/request-caps";
import { changeLifecycle, changeUser, createUser, deleteUser } from "../services/users";
import { booleanParam } from "../wire/common";
import { groupJson } from "../wire/group";
import { createUserSchema, partialUserSchema, replaceUserSchema, userJson } from "../wire/user";

const listQuery = z.object({
  q: z.string().max(256).optional(),
  filter: z.string().max(2048).optional(),
  search: z.string().max(2048).optional(),
  after: z.string().optional(),
  limit: z.string().optional(),
});

// Okta's default page is 200, but 10 when `q` is used.
const pageLimit = (q: string | undefined) => (q ? limitParam(10, 200) : limitParam(200, 200));

async function requireUser(db: DB, idOrLogin: string): Promise<UserRow> {
  const user = await findUserByIdOrLogin(db, idOrLogin);
  if (!user) throw DomainError.notFound(idOrLogin, "User");
  return user;
}

// sendEmail is accepted as Okta does; provisio sends no email.
const lifecycleQuery = queryParams(z.object({ sendEmail: booleanParam(true) }));

/**
 * POST /users/{idOrLogin}/lifecycle/{operation}. Okta answers with an activation token or {};
 * provisio sends no email and has no end-user sign-in, so there is no token to hand out.
 */
function lifecycle(operation: LifecycleOperation) {
  return async (c: Context<AppEnv>) => {
    const db = c.get("db");
    await changeLifecycle(c.env, db, await requireUser(db, c.req.param("idOrLogin")!), operation, await auditOf(c));
    return c.json({});
  };
}

export const usersRoutes = new Hono<AppEnv>()
  .post(
    "/",
    requireScope("okta.users.manage"),
    // provider and nextLogin are accepted as Okta does; provisio has no end-user sign-in.
    queryParams(z.object({ activate: booleanParam(true), provider: booleanParam(false), nextLogin: z.string().optional() })),
    jsonBody(createUserSchema, "user"),
    profileCaps,
    async (c) => {
      const user = await createUser(c.env, c.get("db"), c.req.valid("json"), c.req.valid("query").activate, await auditOf(c));
      return c.json(userJson(user, baseUrl(c)));
    },
  )
  .get("/", requireScope("okta.users.read"), queryParams(listQuery), async (c) => {
    const query = c.req.valid("query");
    oneOfFilterOrSearch(query.filter, query.search);
    const limit = parseLimit(pageLimit(query.q), query.limit);
    const where =
      whereFrom(query.filter, "filter", userFilterRules, userColumns) ?? whereFrom(query.search, "search", userSearchRules, userColumns);
    const rows = await listUsers(c.get("db"), {
      q: query.q,
      where,
      includeDeprovisioned: Boolean(query.filter || query.search),
      afterId: afterId(query.after),
      limit,
    });
    const items = respondWithPage(c, rows, limit, (row) => [row.id]);
    const base = baseUrl(c);
    return c.json(items.map((row) => userJson(row, base, { inCollection: true })));
  })
  .get("/:idOrLogin", requireScope("okta.users.read"), async (c) => {
    return c.json(userJson(await requireUser(c.get("db"), c.req.param("idOrLogin")), baseUrl(c)));
  })
  .post("/:idOrLogin", requireScope("okta.users.manage"), jsonBody(partialUserSchema, "user"), profileCaps, async (c) => {
    const db = c.get("db");
    const user = await requireUser(db, c.req.param("idOrLogin"));
    return c.json(userJson(await changeUser(c.env, db, user, c.req.valid("json"), "merge", await auditOf(c)), baseUrl(c)));
  })
  .put("/:idOrLogin", requireScope("okta.users.manage"), jsonBody(replaceUserSchema, "user"), profileCaps, async (c) => {
    const db = c.get("db");
    const user = await requireUser(db, c.req.param("idOrLogin"));
    return c.json(userJson(await changeUser(c.env, db, user, c.req.valid("json"), "replace", await auditOf(c)), baseUrl(c)));
  })
  .delete("/:idOrLogin", requireScope("okta.users.manage"), queryParams(z.object({ sendEmail: booleanParam(false) })), async (c) => {
    const db = c.get("db");
    await deleteUser(c.env, db, await requireUser(db, c.req.param("idOrLogin")), await auditOf(c));
    return c.body(null, 204);
  })
  .get("/:idOrLogin/groups", requireScope("okta.users.read"), async (c) => {
    const db = c.get("db");
    const user = await requireUser(db, c.req.param("idOrLogin"));
    const base = baseUrl(c);
    return c.json((await groupsOfUser(db, user.id)).map((group) => groupJson(group, base)));
  })
  .post("/:idOrLogin/lifecycle/activate", requireScope("okta.users.manage"), lifecycleQuery, lifecycle("activate"))
  .post("/:idOrLogin/lifecycle/deactivate", requireScope("okta.users.manage"), lifecycleQuery, lifecycle("deactivate"))
  .post("/:idOrLogin/lifecycle/reactivate", requireScope("okta.users.manage"), lifecycleQuery, lifecycle("reactivate"))
  .post("/:idOrLogin/lifecycle/suspend", requireScope("okta.users.manage"), lifecycleQuery, lifecycle("suspend"))
  .post("/:idOrLogin/lifecycle/unsuspend", requireScope("okta.users.manage"), lifecycleQuery, lifecycle("unsuspend"));

function parseLimit(schema: ReturnType<typeof limitParam>, raw: string | undefined): number {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw DomainError.validation("limit", ...parsed.error.issues.map((issue) => `limit: ${issue.message}`));
  return parsed.data;
}
