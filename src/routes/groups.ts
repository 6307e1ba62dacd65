import { Hono } from "hono";
import { z } from "zod";
import type { DB } from "../db/client";
import type { GroupRow } from "../db/schema";
import { groupStats, listGroupMembers, listGroups } from "../db/queries/groups";
import { listAppsOfGroup } from "../db/queries/app-groups";
import { groupColumns, groupFilterRules, groupSearchRules } from "../db/queries/search-rules";
import { requireScope } from "../http/auth";
import { auditOf } from "../http/audit";
import type { AppEnv } from "../http/context";
import { requireGroup, requireUserById } from "../services/lookups";
import { baseUrl, limitParam, respondWithPage } from "../http/pagination";
import { afterId, oneOfFilterOrSearch, whereFrom } from "../http/search-params";
import { jsonBody, queryParams } from "../http/validation";
import { addMember, createGroup, deleteGroup, removeMember, replaceGroupProfile } from "../services/groups";
import { groupBodySchema, groupJson, type GroupStats } from "../wire/group";
import { appJson } from "../wire/app";
import { userJson } from "../wire/user";

const listQuery = z.object({
  q: z.string().max(256).optional(),
  filter: z.string().max(2048).optional(),
  search: z.string().max(2048).optional(),
  after: z.string().optional(),
  limit: limitParam(200, 10000),
  expand: z.enum(["stats"]).optional(),
});

async function statsFor(db: DB, groups: GroupRow[]): Promise<Map<string, GroupStats>> {
  const counts = await groupStats(
    db,
    groups.map((g) => g.id),
  );
  return new Map(
    [...counts].map(([id, c]) => [
      id,
      { usersCount: c.users, appsCount: c.apps, groupPushMappingsCount: c.pushes, hasAdminPrivilege: false },
    ]),
  );
}

export const groupsRoutes = new Hono<AppEnv>()
  .post("/", requireScope("okta.groups.manage"), jsonBody(groupBodySchema, "group"), async (c) => {
    const group = await createGroup(c.get("db"), c.req.valid("json").profile, await auditOf(c));
    return c.json(groupJson(group, baseUrl(c)));
  })
  .get("/", requireScope("okta.groups.read"), queryParams(listQuery), async (c) => {
    const query = c.req.valid("query");
    oneOfFilterOrSearch(query.filter, query.search);
    const db = c.get("db");
    const where =
      whereFrom(query.filter, "filter", groupFilterRules, groupColumns) ??
      whereFrom(query.search, "search", groupSearchRules, groupColumns);
    const rows = await listGroups(db, { q: query.q, where, afterId: afterId(query.after), limit: query.limit });
    const items = respondWithPage(c, rows, query.limit, (row) => [row.id]);
    const base = baseUrl(c);
    const stats = query.expand ? await statsFor(db, items) : undefined;
    return c.json(items.map((group) => groupJson(group, base, stats?.get(group.id))));
  })
  .get("/:groupId", requireScope("okta.groups.read"), queryParams(z.object({ expand: z.enum(["stats"]).optional() })), async (c) => {
    const db = c.get("db");
    const group = await requireGroup(db, c.req.param("groupId"));
    const stats = c.req.valid("query").expand ? (await statsFor(db, [group])).get(group.id) : undefined;
    return c.json(groupJson(group, baseUrl(c), stats));
  })
  .put("/:groupId", requireScope("okta.groups.manage"), jsonBody(groupBodySchema, "group"), async (c) => {
    const db = c.get("db");
    const group = await requireGroup(db, c.req.param("groupId"));
    return c.json(groupJson(await replaceGroupProfile(db, group, c.req.valid("json").profile, await auditOf(c)), baseUrl(c)));
  })
  .delete("/:groupId", requireScope("okta.groups.manage"), async (c) => {
    const db = c.get("db");
    await deleteGroup(c.env, db, await requireGroup(db, c.req.param("groupId")), await auditOf(c));
    return c.body(null, 204);
  })
  .get(
    "/:groupId/users",
    requireScope("okta.groups.read"),
    queryParams(z.object({ after: z.string().optional(), limit: limitParam(1000, 10000) })),
    async (c) => {
      const db = c.get("db");
      const group = await requireGroup(db, c.req.param("groupId"));
      const { after, limit } = c.req.valid("query");
      const rows = await listGroupMembers(db, group.id, afterId(after), limit);
      const items = respondWithPage(c, rows, limit, (row) => [row.id]);
      const base = baseUrl(c);
      return c.json(items.map((user) => userJson(user, base, { inCollection: true })));
    },
  )
  .get(
    "/:groupId/apps",
    requireScope("okta.groups.read"),
    queryParams(z.object({ after: z.string().optional(), limit: limitParam(20, 200) })),
    async (c) => {
      const db = c.get("db");
      const group = await requireGroup(db, c.req.param("groupId"));
      const { after, limit } = c.req.valid("query");
      const rows = await listAppsOfGroup(db, group.id, afterId(after), limit);
      const items = respondWithPage(c, rows, limit, (row) => [row.id]);
      const base = baseUrl(c);
      return c.json(items.map((app) => appJson(app, base)));
    },
  )
  .put("/:groupId/users/:userId", requireScope("okta.groups.manage"), async (c) => {
    const db = c.get("db");
    const [group, user] = await Promise.all([requireGroup(db, c.req.param("groupId")), requireUserById(db, c.req.param("userId"))]);
    await addMember(c.env, db, group, user, await auditOf(c));
    return c.body(null, 204);
  })
  .delete("/:groupId/users/:userId", requireScope("okta.groups.manage"), async (c) => {
    const db = c.get("db");
    const [group, user] = await Promise.all([requireGroup(db, c.req.param("groupId")), requireUserById(db, c.req.param("userId"))]);
    await removeMember(c.env, db, group, user, await auditOf(c));
    return c.body(null, 204);
  });
