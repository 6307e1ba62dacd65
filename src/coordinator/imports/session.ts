import type { BatchItem } from "drizzle-orm/batch";
import type { AuditContext } from "../../audit/system-log";
import type { DB } from "../../db/client";
import { getApp } from "../../db/queries/apps";
import { getProvisioning } from "../../db/queries/provisioning";
import { updateSession, updateSessionStatement } from "../../db/queries/imports";
import type { AppRow, ImportCounters, ImportSessionRow } from "../../db/schema";
import { DEFAULT_INBOUND, type InboundSettings } from "../../imports/inbound-settings";
import type { DownstreamAccess } from "../../provisioning/downstream-url";
import type { ProvisioningSettings } from "../../provisioning/settings";
import type { ImportStore } from "../import-store";
import type { ProvisioningStore } from "../provisioning-store";
import type { SerialQueue } from "../serial-queue";

/** What every step of an import session works with (the coordinator provides it). */
export interface ImportDeps {
  db: DB;
  credentialsKey: string;
  /** Where inline hooks may be called (DOWNSTREAM_ACCESS), checked again before each run. */
  access: DownstreamAccess;
  /** The coordinator's critical section: decisions are written inside it, network calls happen outside. */
  queue: SerialQueue;
  /** Downstream links and outbound tasks (the coordinator's storage). */
  store: ProvisioningStore;
  /** Digests, what a session has seen, and the outbox of changed users (the coordinator's storage). */
  imports: ImportStore;
  settings: () => Promise<ProvisioningSettings>;
  /** The session's System Log context: the system, with the id of the request that started (or confirmed) it. */
  auditFor: (sessionId: string) => Promise<AuditContext>;
}

export const EMPTY_COUNTERS: ImportCounters = {
  fetched: 0,
  exact: 0,
  partial: 0,
  new: 0,
  conflicts: 0,
  unchanged: 0,
  ignored: 0,
  updated: 0,
  deactivated: 0,
  reactivated: 0,
  toUnassign: 0,
  applied: 0,
  pending: 0,
  errors: 0,
};

/** The counter each plan result adds to. */
export const RESULT_COUNTER = {
  EXACT: "exact",
  PARTIAL: "partial",
  NEW: "new",
  CONFLICT: "conflicts",
  UNCHANGED: "unchanged",
  IGNORED: "ignored",
  UNASSIGN: "toUnassign",
  UPDATED: "updated",
  DEACTIVATED: "deactivated",
  REACTIVATED: "reactivated",
} as const satisfies Record<string, keyof ImportCounters>;

export async function reload(db: DB, session: Pick<ImportSessionRow, "id">): Promise<ImportSessionRow | undefined> {
  return db.query.importSessions.findFirst({ where: (t, { eq }) => eq(t.id, session.id) });
}

/** The session as reloaded, when it is still where a step read it (nothing else moved it meanwhile). */
export function unmoved(current: ImportSessionRow | undefined, read: ImportSessionRow): ImportSessionRow | undefined {
  return current?.status === "RUNNING" && current.phase === read.phase && current.cursor === read.cursor ? current : undefined;
}

/** The statement that saves `changes` (for a batch that writes the step's work too). */
export function saveStatement(db: DB, session: ImportSessionRow, changes: Partial<ImportSessionRow>): BatchItem<"sqlite"> {
  Object.assign(session, changes, { lastUpdated: new Date() });
  return updateSessionStatement(db, session.id, { ...changes, lastUpdated: session.lastUpdated });
}

export async function save(db: DB, session: ImportSessionRow, changes: Partial<ImportSessionRow>): Promise<void> {
  Object.assign(session, changes, { lastUpdated: new Date() });
  await updateSession(db, session.id, { ...changes, lastUpdated: session.lastUpdated });
}

export async function fail(db: DB, session: ImportSessionRow, error: string): Promise<false> {
  await save(db, session, { status: "FAILED", phase: "DONE", error, completed: new Date() });
  return false;
}

export async function inboundOf(db: DB, appId: string): Promise<InboundSettings> {
  return (await getProvisioning(db, appId))?.inbound ?? DEFAULT_INBOUND;
}

/** The app's import inline hook id, if it names one. */
export function inlineHookIdOf(app: AppRow | undefined): string | undefined {
  const hookId = (app?.settings as { inlineHookId?: unknown } | undefined)?.inlineHookId;
  return typeof hookId === "string" ? hookId : undefined;
}

export async function appOf(db: DB, appId: string): Promise<AppRow | undefined> {
  return getApp(db, appId);
}
