import { and, asc, desc, eq, getTableColumns, gte, lt, or, type SQL } from "drizzle-orm";
import { chunk, MAX_BOUND_PARAMS, type DB } from "../client";
import { contains } from "./expression-sql";
import { pastCompositeKey } from "./keyset";
import { logEvents, type LogEventRow } from "../schema";

/** Multi-row inserts, each under D1's bound-parameter limit. */
export function insertLogEvents(db: DB, rows: LogEventRow[]) {
  const perStatement = Math.floor(MAX_BOUND_PARAMS / Object.keys(getTableColumns(logEvents)).length);
  return chunk(rows, perStatement).map((part) => db.insert(logEvents).values(part));
}

export interface LogQuery {
  since: Date;
  until?: Date;
  eventType?: string;
  q?: string;
  after?: { published: number; uuid: string };
  limit: number;
  /** ASCENDING (Okta's default) is oldest first; DESCENDING newest first. */
  sortOrder: "ASCENDING" | "DESCENDING";
}

/** Keyset on (published, uuid) in the requested direction, so pages stay stable while events arrive. */
export async function listLogEvents(db: DB, query: LogQuery): Promise<LogEventRow[]> {
  const conditions: (SQL | undefined)[] = [gte(logEvents.published, query.since)];
  if (query.until) conditions.push(lt(logEvents.published, query.until));
  if (query.eventType) conditions.push(eq(logEvents.eventType, query.eventType));
  if (query.q) conditions.push(or(contains(logEvents.displayMessage, query.q), contains(logEvents.target, query.q)));
  const after = query.after && { first: new Date(query.after.published), second: query.after.uuid };
  conditions.push(pastCompositeKey(logEvents.published, logEvents.uuid, after, query.sortOrder));
  const direction = query.sortOrder === "DESCENDING" ? desc : asc;
  return db
    .select()
    .from(logEvents)
    .where(and(...conditions))
    .orderBy(direction(logEvents.published), direction(logEvents.uuid))
    .limit(query.limit + 1);
}
