import { Cron } from "croner";
import { isNotNull } from "drizzle-orm";
import { createDb, type DB } from "../db/client";
import { appProvisioning, type AppProvisioningRow } from "../db/schema";
import { updateProvisioning } from "../db/queries/provisioning";
import { appCoordinator } from "../coordinator/client";
import { DomainError } from "../domain/errors";

/**
 * The minute's Cron Trigger: every app whose import schedule is due (its cron expression in its
 * timezone, counted from the last scheduled start) asks its coordinator to start a session. An
 * app whose previous import is still open is skipped (the coordinator refuses a second one), so
 * runs never overlap. Returns the apps started, for the caller's log.
 */
export async function runScheduledImports(
  env: Env,
  now = new Date(),
): Promise<{ appId: string; type: "FULL" | "INCREMENTAL"; sessionId?: string; skipped?: string }[]> {
  const db = createDb(env.DB);
  const rows = await db.select().from(appProvisioning).where(isNotNull(appProvisioning.inbound));
  const started: { appId: string; type: "FULL" | "INCREMENTAL"; sessionId?: string; skipped?: string }[] = [];
  for (const row of rows) {
    // One app's broken schedule or failing start must not keep the others from theirs.
    try {
      const outcome = await runIfDue(env, db, row, now);
      if (outcome) started.push(outcome);
    } catch (error) {
      started.push({ appId: row.appId, type: "FULL", skipped: `failed: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  return started;
}

async function runIfDue(env: Env, db: DB, row: AppProvisioningRow, now: Date) {
  const schedule = row.inbound?.importSettings.schedule;
  if (!schedule || schedule.status !== "ENABLED") return undefined;
  // A full import due at the same time as an incremental one covers it.
  const due = (["FULL", "INCREMENTAL"] as const).find((type) => {
    const entry = type === "FULL" ? schedule.fullImport : schedule.incrementalImport;
    const last = type === "FULL" ? row.lastFullImportAt : row.lastIncrementalImportAt;
    return entry ? isDue(entry.expression, entry.timezone, last ?? row.created.getTime(), now) : false;
  });
  if (!due) return undefined;
  const stamp = now.getTime();
  // Only the schedule's own columns are written, so a concurrent settings change is kept.
  await updateProvisioning(
    db,
    row.appId,
    due === "FULL" ? { lastFullImportAt: stamp, lastIncrementalImportAt: stamp } : { lastIncrementalImportAt: stamp },
  );
  try {
    const session = await appCoordinator(env, row.appId).startImport({ type: due, dryRun: false, trigger: "SCHEDULE" });
    return { appId: row.appId, type: due, sessionId: session.id };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { appId: row.appId, type: due, skipped: error.summary };
  }
}

/** Whether a cron occurrence falls after `lastMs` and no later than `now`. */
export function isDue(expression: string, timezone: string, lastMs: number, now: Date): boolean {
  const cron = new Cron(expression, { timezone, paused: true });
  const next = cron.nextRun(new Date(lastMs));
  return next !== null && next.getTime() <= now.getTime();
}
