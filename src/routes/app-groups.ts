import { Hono } from "hono";
import { z } from "zod";
import { getAppGroup, listAppGroups } from "../db/queries/app-groups";
import { getGroup } from "../db/queries/groups";
import { appCoordinator } from "../coordinator/client";
import { cursorNumber, decodeCursor } from "../domain/cursor";
import { DomainError } from "../domain/errors";
import { requireScope } from "../http/auth";
import { auditOf } from "../http/audit";
import type { AppEnv } from "../http/context";
import { requireApp } from "../services/lookups";
import { baseUrl, limitParam, respondWithPage } from "../http/pagination";
import { jsonBody, queryParams } from "../http/validation";
import { profileCaps } from "../http/request-caps";
import { appGroupJson, groupAssignmentSchema, jsonPatchSchema } from "../wire/app-group";

const expandParam = z.enum(["group", "metadata"]).optional();

// Okta's limit for group assignments is 20..200 (default 20): smaller values read as 20.
const listQuery = z.object({
  q: z.string().max(256).optional(),
  after: z.string().optional(),
  limit: limitParam(20, 200).transform((n) => Math.max(n, 20)),
  expand: expandParam,
});

/** /api/v1/apps/{appId}/groups: reads from D1, changes through the app's coordinator. */
export const appGroupsRoutes = new Hono<AppEnv>()
  .get("/:appId/groups", requireScope("okta.apps.read"), queryParams(listQuery), async (c) => {
    const { appId } = c.req.param();
    const query = c.req.valid("query");
    const db = c.get("db");
    await requireApp(db, appId);
    const after = query.after ? decodeCursor(query.after, 2) : undefined;
    const rows = await listAppGroups(db, {
      appId,
      q: query.q,
      after: after ? { priority: cursorNumber(after[0]), groupId: String(after[1]) } : undefined,
      limit: query.limit,
    });
    const items = respondWithPage(c, rows, query.limit, (row) => [row.assignment.priority, row.assignment.groupId]);
    const base = baseUrl(c);
    return c.json(
      items.map((row) =>
        appGroupJson(row.assignment, base, {
          group: query.expand === "group" ? row.group : undefined,
          metadata: query.expand === "metadata",
        }),
      ),
    );
  })
  .get("/:appId/groups/:groupId", requireScope("okta.apps.read"), queryParams(z.object({ expand: expandParam })), async (c) => {
    const { appId, groupId } = c.req.param();
    const db = c.get("db");
    await requireApp(db, appId);
    const row = await getAppGroup(db, appId, groupId);
    if (!row) throw DomainError.notFound(`${appId}/${groupId}`, "ApplicationGroupAssignment");
    const expand = c.req.valid("query").expand;
    const group = expand === "group" ? await getGroup(db, groupId) : undefined;
    return c.json(appGroupJson(row, baseUrl(c), { group, metadata: expand === "metadata" }));
  })
  .put(
    "/:appId/groups/:groupId",
    requireScope("okta.apps.manage"),
    jsonBody(groupAssignmentSchema, "assignment"),
    profileCaps,
    async (c) => {
      const { appId, groupId } = c.req.param();
      const row = await appCoordinator(c.env, appId, await auditOf(c)).assignGroup(groupId, c.req.valid("json"));
      return c.json(appGroupJson(row, baseUrl(c)));
    },
  )
  .patch("/:appId/groups/:groupId", requireScope("okta.apps.manage"), jsonBody(jsonPatchSchema, "assignment"), profileCaps, async (c) => {
    const { appId, groupId } = c.req.param();
    const row = await appCoordinator(c.env, appId, await auditOf(c)).assignGroup(groupId, { patch: c.req.valid("json") });
    return c.json(appGroupJson(row, baseUrl(c)));
  })
  .delete("/:appId/groups/:groupId", requireScope("okta.apps.manage"), async (c) => {
    const { appId, groupId } = c.req.param();
    await appCoordinator(c.env, appId, await auditOf(c)).unassignGroup(groupId);
    return c.body(null, 204);
  })
  // provisio extension: progress of the app's running fan-out jobs (group assignment and the like).
  .get("/:appId/assignment-operations", requireScope("okta.apps.read"), async (c) => {
    const { appId } = c.req.param();
    await requireApp(c.get("db"), appId);
    return c.json(await appCoordinator(c.env, appId).operations());
  })
  // provisio extension: what the app's coordinator has spent per invocation since it started
  // (the most D1 queries and the longest run of any one invocation, against its budget), and
  // how many import follow-ups wait in its outbox.
  .get("/:appId/coordinator-stats", requireScope("okta.apps.read"), async (c) => {
    const { appId } = c.req.param();
    await requireApp(c.get("db"), appId);
    return c.json(await appCoordinator(c.env, appId).invocationStats());
  });
