import { Hono } from "hono";
import { z } from "zod";
import { listLogEvents, logColumns, logFilterRules } from "../db/queries/system-log";
import { logEventJson } from "../audit/system-log";
import { cursorNumber, decodeCursor } from "../domain/cursor";
import { requireScope } from "../http/auth";
import type { AppEnv } from "../http/context";
import { limitParam, respondWithPage } from "../http/pagination";
import { queryParams } from "../http/validation";
import { whereFrom } from "../http/search-params";

const isoDate = z.iso.datetime({ offset: true });

const listQuery = z.object({
  since: isoDate.optional(),
  until: isoDate.optional(),
  filter: z.string().max(512).optional(),
  q: z.string().max(256).optional(),
  after: z.string().optional(),
  limit: limitParam(100, 1000),
  sortOrder: z.enum(["ASCENDING", "DESCENDING"]).default("ASCENDING"),
});

/**
 * GET /api/v1/logs: since (default 7 days ago), until, filter (eventType, severity, actor.*,
 * target.*, outcome.*, client.ipAddress, transaction.*, debugContext.debugData.requestId with
 * eq, and/or; sw/co on some), q, sortOrder, after/limit.
 */
export const logsRoutes = new Hono<AppEnv>().get("/", requireScope("okta.logs.read"), queryParams(listQuery), async (c) => {
  const query = c.req.valid("query");
  const where = whereFrom(query.filter, "filter", logFilterRules, logColumns);
  const key = query.after ? decodeCursor(query.after, 2) : undefined;
  const rows = await listLogEvents(c.get("db"), {
    since: query.since ? new Date(query.since) : new Date(Date.now() - 7 * 24 * 3_600_000),
    until: query.until ? new Date(query.until) : undefined,
    where,
    q: query.q,
    after: key ? { published: cursorNumber(key[0]), uuid: String(key[1]) } : undefined,
    limit: query.limit,
    sortOrder: query.sortOrder,
  });
  return c.json(respondWithPage(c, rows, query.limit, (row) => [row.published.getTime(), row.uuid]).map(logEventJson));
});
