import { and, asc, desc, eq, gte, lt, or, sql, type SQL } from "drizzle-orm";
import type { DB } from "../client";
import { jsonPayloads, selectFromPayload } from "../json-rows";
import type { AttributeRules, Operator } from "../../domain/search-expression";
import { contains, type ColumnResolver } from "./expression-sql";
import { pastCompositeKey } from "./keyset";
import { logEvents, type LogEventRow } from "../schema";

/**
 * Inserts events with one bound parameter per statement (see jsonPayloads): a 250-user fan-out
 * chunk's events are one statement in its batch instead of the 23 multi-row inserts D1's
 * 100-parameter limit would take (nine columns a row).
 */
export function insertLogEvents(db: DB, rows: LogEventRow[]) {
  const encoded = rows.map((row) => [
    row.uuid,
    row.published.getTime(),
    row.eventType,
    row.severity,
    row.displayMessage,
    // Objects, not their JSON text: json_extract gives the text back, without a second escaping.
    row.outcome,
    row.actor,
    row.target,
    row.debugContext,
  ]);
  return jsonPayloads(encoded).map((payload) => db.insert(logEvents).select(selectFromPayload(9, payload)));
}

export interface LogQuery {
  since: Date;
  until?: Date;
  eventType?: string;
  /** A compiled `filter` (logFilterRules / logColumns). */
  where?: SQL;
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
  if (query.where) conditions.push(query.where);
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

// `filter` on GET /api/v1/logs: Okta's SCIM-like expressions over the LogEvent's fields
// (`eventType eq "..." and target.id eq "..."`), case-sensitive as Okta's are.
const EQ: readonly Operator[] = ["eq"];
const TEXT: readonly Operator[] = ["eq", "sw", "co"];
const LOG_FILTER_ATTRIBUTES: Record<string, readonly Operator[]> = {
  uuid: EQ,
  eventType: ["eq", "sw"],
  severity: EQ,
  displayMessage: TEXT,
  "actor.id": EQ,
  "actor.type": EQ,
  "actor.alternateId": TEXT,
  "actor.displayName": TEXT,
  "target.id": EQ,
  "target.type": EQ,
  "target.alternateId": EQ,
  "target.displayName": EQ,
  "outcome.result": EQ,
  "outcome.reason": TEXT,
  "client.ipAddress": EQ,
  "transaction.id": EQ,
  "transaction.type": EQ,
  "debugContext.debugData.requestId": EQ,
};

export const logFilterRules: AttributeRules = (attr) =>
  Object.hasOwn(LOG_FILTER_ATTRIBUTES, attr) ? LOG_FILTER_ATTRIBUTES[attr] : undefined;

/** Where each filterable field lives: a column, a JSON path in one, or any element of `target`. */
export const logColumns: ColumnResolver = (attr) => {
  const [head, ...rest] = attr.split(".");
  const path = `$.${rest.join(".")}`;
  switch (head) {
    case "uuid":
      return { expr: logEvents.uuid, kind: "text" };
    case "eventType":
      return { expr: logEvents.eventType, kind: "text" };
    case "severity":
      return { expr: logEvents.severity, kind: "text" };
    case "displayMessage":
      return { expr: logEvents.displayMessage, kind: "text" };
    case "actor":
      return { expr: sql`json_extract(${logEvents.actor}, ${path})`, kind: "text" };
    case "outcome":
      return { expr: sql`json_extract(${logEvents.outcome}, ${path})`, kind: "text" };
    case "target":
      // True when any of the event's targets has the value.
      return {
        kind: "custom",
        build: (value) =>
          sql`EXISTS (SELECT 1 FROM json_each(${logEvents.target}) WHERE json_extract(json_each.value, ${path}) = ${String(value)})`,
      };
    case "debugContext":
      return { expr: sql`json_extract(${logEvents.debugContext}, ${path})`, kind: "text" };
    default:
      // client and transaction are kept next to debugData in debug_context (docs/storage.md).
      return { expr: sql`json_extract(${logEvents.debugContext}, ${`$.${attr}`})`, kind: "text" };
  }
};
