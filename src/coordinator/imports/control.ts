import { originOf, writeLog, type AuditContext } from "../../audit/system-log";
import type { DB } from "../../db/client";
import {
  confirmItems,
  getOrgSetting,
  getSession,
  insertSession,
  liftRoadblock,
  openSession,
  updateSession,
} from "../../db/queries/imports";
import type { ImportSessionRow } from "../../db/schema";
import { randomChars } from "../../domain/ids";
import { DomainError } from "../../domain/errors";
import { EMPTY_COUNTERS } from "./session";
import { ROADBLOCK_KEY, type ImportRunner, type Roadblock } from "./runner";

// What administrators do to an app's import sessions (POST /apps/{appId}/imports, confirm,
// cancel, and the roadblock's resume): each is one change inside the coordinator's critical
// section; the session's work then goes on from the coordinator's alarm.

export interface ImportControlDeps {
  db: DB;
  storage: DurableObjectStorage;
  runner: ImportRunner;
}

export type StartRequest = { type: "FULL" | "INCREMENTAL"; dryRun: boolean; trigger: "MANUAL" | "SCHEDULE" };

/** Keys of the coordinator's storage a session uses. */
export const sessionKeys = {
  /** The request behind the session's later steps (background work carries its id). */
  origin: (sessionId: string) => `import-origin:${sessionId}`,
  /** A confirmation asked for confirmed new users to be activated. */
  activate: (sessionId: string) => `activate:${sessionId}`,
};

/**
 * Starts an import session: it waits while an import roadblock is raised anywhere in the org,
 * then fetches, plans, checks safeguards and applies, a step at a time.
 */
export async function startImport(deps: ImportControlDeps, appId: string, request: StartRequest, audit?: AuditContext) {
  const { db, storage } = deps;
  const open = await openSession(db, appId);
  if (open) throw new DomainError("E0000195", `import ${open.id} of this app is still ${open.status}`);
  const roadblock = await getOrgSetting<Roadblock>(db, ROADBLOCK_KEY);
  const now = new Date();
  const session: ImportSessionRow = {
    id: `ims${randomChars(17)}`,
    appId,
    type: request.type,
    trigger: request.trigger,
    dryRun: request.dryRun,
    status: "RUNNING",
    phase: roadblock ? "WAITING" : "FETCH",
    cursor: "1",
    counters: EMPTY_COUNTERS,
    safeguard: null,
    error: null,
    created: now,
    lastUpdated: now,
    completed: null,
  };
  await insertSession(db, session);
  const origin = originOf(audit);
  if (origin) await storage.put(sessionKeys.origin(session.id), origin);
  await writeLog(db, [
    {
      eventType: "system.import.start",
      audit,
      displayMessage: `${request.type === "FULL" ? "Full" : "Incremental"} import started${roadblock ? " (waiting behind an import roadblock)" : ""}`,
      target: sessionTargets(appId, session.id),
      details: { sessionId: session.id, trigger: request.trigger, dryRun: request.dryRun },
    },
  ]);
  return session;
}

/** Confirms pending items (all, or by number) and applies them; `activate` activates confirmed new users. */
export async function confirmImport(
  deps: ImportControlDeps,
  appId: string,
  sessionId: string,
  request: { seqs: number[] | "all"; activate: boolean },
  audit?: AuditContext,
) {
  const { db, storage } = deps;
  const session = await requireSession(db, appId, sessionId);
  if (session.status !== "AWAITING_CONFIRMATION" && !(session.status === "RUNNING" && session.phase === "APPLY")) {
    throw DomainError.validation(
      "status",
      `import ${sessionId} is ${session.status}: only an import awaiting confirmation can be confirmed`,
    );
  }
  await confirmItems(db, sessionId, request.seqs);
  if (request.activate) await storage.put(sessionKeys.activate(sessionId), true);
  // What the confirmation applies is its doing: the apply events carry this request's id.
  const origin = originOf(audit);
  if (origin) await storage.put(sessionKeys.origin(sessionId), origin);
  await writeLog(db, [
    {
      eventType: "system.import.user_match.confirm",
      displayMessage: "Confirm imported users",
      audit,
      target: sessionTargets(appId, sessionId),
      details: { sessionId, confirmed: request.seqs === "all" ? "all" : request.seqs.length, activate: request.activate },
    },
  ]);
  await deps.runner.beginApply(session);
  return (await getSession(db, appId, sessionId))!;
}

/** Cancels a session that has not finished; its roadblock, if any, is lifted. */
export async function cancelImport(deps: ImportControlDeps, appId: string, sessionId: string, audit?: AuditContext) {
  const { db, storage } = deps;
  const session = await requireSession(db, appId, sessionId);
  if (session.status === "COMPLETED" || session.status === "CANCELLED" || session.status === "FAILED") {
    throw DomainError.validation("status", `import ${sessionId} is already ${session.status}`);
  }
  const roadblock = await getOrgSetting<Roadblock>(db, ROADBLOCK_KEY);
  await liftRoadblock(db, sessionId);
  await storage.delete([sessionKeys.origin(sessionId), sessionKeys.activate(sessionId)]);
  if (roadblock?.sessionId === sessionId) {
    await logRoadblock(
      db,
      appId,
      sessionId,
      "system.import.roadblock.resume",
      "The affected import from AppInstance has been canceled. All other imports will resume.",
      audit,
    );
  }
  return (await updateSession(db, sessionId, { status: "CANCELLED", phase: "DONE", completed: new Date(), lastUpdated: new Date() }))!;
}

/** The roadblock was resumed: the paused session applies its plan after all. */
export async function resumeImport(deps: ImportControlDeps, appId: string, sessionId: string, audit?: AuditContext) {
  const { db, storage } = deps;
  const session = await requireSession(db, appId, sessionId);
  if (session.status !== "PAUSED_SAFEGUARD")
    throw DomainError.validation("status", `import ${sessionId} is ${session.status}, not PAUSED_SAFEGUARD`);
  const origin = originOf(audit);
  if (origin) await storage.put(sessionKeys.origin(sessionId), origin);
  await deps.runner.beginApply(session);
  await liftRoadblock(db, sessionId);
  await logRoadblock(
    db,
    appId,
    sessionId,
    "system.import.roadblock.reschedule_and_resume",
    "The affected import from AppInstance has been resumed by an administrator. All other imports will resume.",
    audit,
  );
  return (await getSession(db, appId, sessionId))!;
}

async function logRoadblock(db: DB, appId: string, sessionId: string, eventType: string, displayMessage: string, audit?: AuditContext) {
  await writeLog(db, [{ eventType, displayMessage, audit, target: sessionTargets(appId, sessionId), details: { sessionId } }]);
}

async function requireSession(db: DB, appId: string, sessionId: string): Promise<ImportSessionRow> {
  const session = await getSession(db, appId, sessionId);
  if (!session) throw DomainError.notFound(sessionId, "ImportSession");
  return session;
}

function sessionTargets(appId: string, sessionId: string) {
  return [
    { id: appId, type: "AppInstance" as const },
    { id: sessionId, type: "ImportSession" as const },
  ];
}
