import { eq } from "drizzle-orm";
import type { DB } from "../client";
import { appIntegrations, type AppIntegrationRow } from "../schema";

export async function getIntegration(db: DB, appId: string): Promise<AppIntegrationRow | undefined> {
  return db.query.appIntegrations.findFirst({ where: eq(appIntegrations.appId, appId) });
}

export function insertIntegration(db: DB, row: AppIntegrationRow) {
  return db.insert(appIntegrations).values(row);
}

/** The draft is used once, by the app's first connection. */
export function clearProvisioningDraft(db: DB, appId: string, now: Date) {
  return db.update(appIntegrations).set({ provisioningDraft: null, lastUpdated: now }).where(eq(appIntegrations.appId, appId));
}
