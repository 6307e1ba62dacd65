import { and, asc, desc, eq, gte, lt, or, sql, type SQL } from "drizzle-orm";
import type { DB } from "../client";
import type { AttributeRules, Operator } from "../../domain/search-expression";
import { contains, type ColumnResolver } from "./expression-sql";
import { pastCompositeKey } from "./keyset";
import { logEvents, type LogEventRow } from "../schema";

/**
 * How much event JSON one statement carries: D1 allows 1,000,000 bytes per bound string, and
 * a character is at most 3 bytes of UTF-8 (JSON.stringify escapes nothing above ASCII).
 */
const MAX_PAYLOAD_CHARS = 300_000;

/**
 * Inserts events with one bound parameter per statement: a JSON array of rows that the
 * statement unpacks with json_each. A 250-user fan-out chunk's events are then one statement
 * in its batch instead of the 23 multi-row inserts D1's 100-parameter limit would take (nine
 * columns a row); locally both cost the same (test/bench/log-overhead.test.ts).
 */
export function insertLogEvents(db: DB, rows: LogEventRow[]) {
  const parts: string[][] = [];
  let size = 0;
  for (const row of rows) {
    const encoded = JSON.stringify([
      row.uuid,
      row.published.getTime(),
      row.eventType,
      row.severity,
      row.displayMessage,
      JSON.stringify(row.outcome),
      JSON.stringify(row.actor),
      JSON.stringify(row.target),
      JSON.stringify(row.debugContext),
    ]);
    if (parts.length === 0 || size + encoded.length > MAX_PAYLOAD_CHARS) {
      parts.push([]);
      size = 0;
    }
    parts[parts.length - 1].push(encoded);
    size += encoded.length + 1;
  }
  // Constant paths, so the JSON array is the statement's only bound parameter.
  const field = (i: number) => sql.raw(`json_extract(value, '$[${i}]')`);
  return parts.map((part) =>
    db.insert(logEvents).select(
      sql`SELECT ${sql.join(
        [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => field(i)),
        sql`, `,
      )} FROM json_each(${`[${part.join(",")}]`})`,
    ),
  );
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
