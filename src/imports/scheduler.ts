import { Cron } from "croner";
import { isNotNull } from "drizzle-orm";
import { createDb } from "../db/client";
import { appProvisioning } from "../db/schema";
import { saveProvisioning } from "../db/queries/provisioning";
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
    const schedule = row.inbound?.importSettings.schedule;
    if (!schedule || schedule.status !== "ENABLED") continue;
    // A full import due at the same time as an incremental one covers it.
    const due = (["FULL", "INCREMENTAL"] as const).find((type) => {
      const entry = type === "FULL" ? schedule.fullImport : schedule.incrementalImport;
      const last = type === "FULL" ? row.lastFullImportAt : row.lastIncrementalImportAt;
      return entry ? isDue(entry.expression, entry.timezone, last ?? row.created.getTime(), now) : false;
    });
    if (!due) continue;
    try {
      const session = await appCoordinator(env, row.appId).startImport({ type: due, dryRun: false, trigger: "SCHEDULE" });
      started.push({ appId: row.appId, type: due, sessionId: session.id });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      started.push({ appId: row.appId, type: due, skipped: error.summary });
    }
    const stamp = now.getTime();
    await saveProvisioning(db, {
      ...row,
      ...(due === "FULL" ? { lastFullImportAt: stamp, lastIncrementalImportAt: stamp } : { lastIncrementalImportAt: stamp }),
    });
  }
  return started;
}

/** Whether a cron occurrence falls after `lastMs` and no later than `now`. */
export function isDue(expression: string, timezone: string, lastMs: number, now: Date): boolean {
  const cron = new Cron(expression, { timezone, paused: true });
  const next = cron.nextRun(new Date(lastMs));
  return next !== null && next.getTime() <= now.getTime();
}
