import { batchAll, type DB } from "../db/client";
import { uuidV7 } from "../domain/ids";
import type { LogEventRow } from "../db/schema";
import { insertLogEvents } from "../db/queries/system-log";

type Json = Record<string, unknown>;

export interface LogTarget {
  id: string;
  type:
    | "AppInstance"
    | "User"
    | "AppUser"
    | "UserGroup"
    | "ImportSession"
    | "Token"
    | "GroupPushMapping"
    | "OAuth2ClientSecret"
    | "AccessToken";
  /** Defaults to the id. */
  alternateId?: string;
  displayName?: string;
  /** Okta's changeDetails: what changed on this target (never a secret). */
  changeDetails?: { from?: Json; to?: Json };
  detailEntry?: Json;
}

/** Okta's LogActor: who performed the action. */
export type LogActor = {
  id: string;
  type: string;
  alternateId: string;
  displayName: string;
  detailEntry?: Json;
};

/** Okta's LogClient: the HTTP client of the request that caused the event (absent for background work). */
export interface LogClient {
  id?: string;
  ipAddress?: string;
  userAgent?: { rawUserAgent: string };
}

/**
 * Who caused a change and through which request. Built once per API request
 * (src/http/audit.ts) and passed along, over RPC too, to whatever writes the change; background
 * work (fan-out continuation, provisioning, imports) uses `background()` with the id of the
 * request that started it, when known.
 */
export interface AuditContext {
  /** The request's X-Okta-Request-Id (for background work: the request that started it). */
  requestId?: string;
  actor?: LogActor;
  client?: LogClient;
  /** The SSWS token behind the request (Okta's transaction.detail.requestApiTokenId). */
  apiTokenId?: string;
  /** Background work: the job the events belong to (their JOB transaction). */
  jobId?: string;
  /** Background work: the actor id of whoever started it. */
  initiatedBy?: string;
}

export interface LogEventInput {
  eventType: string;
  displayMessage: string;
  severity?: LogEventRow["severity"];
  outcome?: { result: "SUCCESS" | "FAILURE" | "SKIPPED" | "ALLOW" | "DENY"; reason?: string };
  target?: LogTarget[];
  /** Who acted; defaults to the audit context's actor, else provisio itself. */
  actor?: Json;
  /** Defaults to the audit context's request id. */
  requestId?: string;
  audit?: AuditContext;
  details?: Json;
}

/** provisio itself, for background work (Okta logs its own jobs as a SystemPrincipal, system@okta.com). */
export const SYSTEM_ACTOR: LogActor = { id: "provisio", type: "SystemPrincipal", alternateId: "system@provisio", displayName: "provisio" };

/** The audit context of background work started by `origin` (a request, or nothing for scheduled work). */
export function background(origin: Pick<AuditContext, "requestId" | "actor" | "initiatedBy"> | undefined, jobId?: string): AuditContext {
  const initiatedBy = origin?.initiatedBy ?? origin?.actor?.id;
  return {
    actor: SYSTEM_ACTOR,
    ...(origin?.requestId ? { requestId: origin.requestId } : {}),
    ...(jobId ? { jobId } : {}),
    ...(initiatedBy && initiatedBy !== SYSTEM_ACTOR.id ? { initiatedBy } : {}),
  };
}

/** What background work keeps of the request that started it (undefined: no request did). */
export function originOf(audit: AuditContext | undefined): { requestId: string; initiatedBy?: string } | undefined {
  if (!audit?.requestId) return undefined;
  const initiatedBy = audit.initiatedBy ?? (audit.actor && audit.actor.id !== SYSTEM_ACTOR.id ? audit.actor.id : undefined);
  return { requestId: audit.requestId, ...(initiatedBy ? { initiatedBy } : {}) };
}

/** Okta caps outcome.reason at 255 characters (LogOutcome schema). */
const MAX_REASON = 255;

/**
 * Builds Okta LogEvent rows (uuid, published, eventType, displayMessage, severity, actor,
 * outcome, target, client, transaction, debugContext). `client` and `transaction` are kept in
 * the debug_context column next to `debugData` (see docs/storage.md) and split out on the wire.
 */
export function logEvent(input: LogEventInput, now = new Date()): LogEventRow {
  const audit = input.audit ?? {};
  const requestId = input.requestId ?? audit.requestId;
  // Time-ordered (version 7): events are inserted at the end of their indexes, not at random places.
  const uuid = uuidV7(now.getTime());
  const outcome = input.outcome ?? { result: "SUCCESS" };
  const actor = input.actor ?? audit.actor ?? SYSTEM_ACTOR;
  // An event caused by an API request is Okta's WEB transaction, whose id is the request id.
  const web = audit.jobId === undefined && requestId !== undefined && actor.id !== SYSTEM_ACTOR.id;
  const transaction = web
    ? { type: "WEB", id: requestId, detail: audit.apiTokenId ? { requestApiTokenId: audit.apiTokenId } : {} }
    : audit.jobId
      ? { type: "JOB", id: audit.jobId, detail: {} }
      : undefined;
  return {
    uuid,
    published: now,
    eventType: input.eventType,
    severity: input.severity ?? "INFO",
    displayMessage: input.displayMessage,
    outcome: outcome.reason === undefined ? outcome : { ...outcome, reason: outcome.reason.slice(0, MAX_REASON) },
    actor,
    target: (input.target ?? []).map((t) => ({ ...t, alternateId: t.alternateId ?? t.id })),
    debugContext: {
      debugData: {
        ...(requestId ? { requestId } : {}),
        ...(audit.initiatedBy ? { initiatedBy: audit.initiatedBy } : {}),
        ...input.details,
      },
      ...(audit.client && web ? { client: audit.client } : {}),
      ...(transaction ? { transaction } : {}),
    },
  };
}

/** Statements that insert the events, to put in the same `db.batch` as the change they record. */
export function logStatements(db: DB, events: LogEventInput[], now = new Date()) {
  return insertLogEvents(
    db,
    events.map((e) => logEvent(e, now)),
  );
}

/** Writes events; the log must never break the work it records, so a failure is only reported. */
export async function writeLog(db: DB, events: LogEventInput[]): Promise<void> {
  if (events.length === 0) return;
  try {
    await batchAll(db, logStatements(db, events));
  } catch (error) {
    console.error(JSON.stringify({ event: "system_log.write_failed", reason: error instanceof Error ? error.message : String(error) }));
  }
}

export function logEventJson(row: LogEventRow) {
  const { client, transaction, ...debugContext } = row.debugContext as Json & { client?: Json; transaction?: Json };
  const debugData = debugContext.debugData as Json | undefined;
  return {
    uuid: row.uuid,
    published: row.published.toISOString(),
    eventType: row.eventType,
    version: "0",
    severity: row.severity,
    displayMessage: row.displayMessage,
    actor: row.actor,
    // Only events caused by an API request have a client (Okta leaves it blank for jobs).
    ...(client ? { client } : {}),
    outcome: row.outcome,
    target: row.target,
    transaction: transaction ?? { type: "JOB", id: String(debugData?.sessionId ?? row.uuid), detail: {} },
    debugContext,
    // authenticationContext and securityContext describe an end user's sign-in; API calls and
    // background work have none.
  };
}
