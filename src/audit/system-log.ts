import { batchAll, type DB } from "../db/client";
import type { LogEventRow } from "../db/schema";
import { insertLogEvents } from "../db/queries/system-log";

type Json = Record<string, unknown>;

export interface LogTarget {
  id: string;
  type: "AppInstance" | "User" | "AppUser" | "UserGroup" | "ImportSession" | "Token";
  displayName?: string;
}

export interface LogEventInput {
  eventType: string;
  displayMessage: string;
  severity?: LogEventRow["severity"];
  outcome?: { result: "SUCCESS" | "FAILURE" | "SKIPPED" | "ALLOW" | "DENY"; reason?: string };
  target?: LogTarget[];
  /** Who acted: the API token's principal, or provisio itself for background work. */
  actor?: Json;
  requestId?: string;
  details?: Json;
}

const SYSTEM_ACTOR = { id: "provisio", type: "SystemPrincipal", alternateId: "system@provisio", displayName: "provisio" };

/** Builds Okta LogEvent rows (uuid, published, eventType, displayMessage, severity, actor, outcome, target, debugContext). */
export function logEvent(input: LogEventInput, now = new Date()): LogEventRow {
  return {
    uuid: crypto.randomUUID(),
    published: now,
    eventType: input.eventType,
    severity: input.severity ?? "INFO",
    displayMessage: input.displayMessage,
    outcome: input.outcome ?? { result: "SUCCESS" },
    actor: input.actor ?? SYSTEM_ACTOR,
    target: (input.target ?? []).map((t) => ({ ...t, alternateId: t.id })),
    debugContext: { debugData: { ...(input.requestId ? { requestId: input.requestId } : {}), ...input.details } },
  };
}

/** Writes events; the log must never break the work it records, so a failure is only reported. */
export async function writeLog(db: DB, events: LogEventInput[]): Promise<void> {
  if (events.length === 0) return;
  try {
    await batchAll(
      db,
      insertLogEvents(
        db,
        events.map((e) => logEvent(e)),
      ),
    );
  } catch (error) {
    console.error(JSON.stringify({ event: "system_log.write_failed", reason: error instanceof Error ? error.message : String(error) }));
  }
}

export function logEventJson(row: LogEventRow) {
  return {
    uuid: row.uuid,
    published: row.published.toISOString(),
    eventType: row.eventType,
    version: "0",
    severity: row.severity,
    displayMessage: row.displayMessage,
    actor: row.actor,
    outcome: row.outcome,
    target: row.target,
    transaction: { type: "JOB", id: String((row.debugContext.debugData as Json | undefined)?.sessionId ?? row.uuid), detail: {} },
    debugContext: row.debugContext,
    // client, authenticationContext and securityContext describe an end user's request; these
    // events come from API calls and background work, so they are left out.
  };
}
