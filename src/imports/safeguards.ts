import { z } from "zod";

// Import safeguards (Okta's help pages, okta-reference.md §18): an import stops before changing
// anything when it would unassign or deactivate more than a percentage of app users. App level
// applies to apps with more than 100 assigned users; org level when the org has at least 100
// app assignments. Whichever trips first (the lower limit) is reported; equal limits report APP.
const level = z.object({ enabled: z.boolean(), percent: z.number().int().min(1).max(100) });
export const safeguardSettingsSchema = z.object({ app: level, org: level });
export type SafeguardSettings = z.infer<typeof safeguardSettingsSchema>;
export const safeguardPatchSchema = z.object({ app: level.partial().optional(), org: level.partial().optional() });

export const DEFAULT_SAFEGUARDS: SafeguardSettings = { app: { enabled: true, percent: 20 }, org: { enabled: true, percent: 20 } };

export const APP_LEVEL_MIN_USERS = 100; // "more than 100 users"
export const ORG_LEVEL_MIN_ASSIGNMENTS = 100; // "at least 100 app assignments"

export interface SafeguardBreach {
  level: "APP" | "ORG";
  removals: number;
  limit: number;
  percent: number;
  base: number;
}

export function evaluateSafeguards(input: {
  removals: number;
  appAssigned: number;
  orgAssigned: number;
  settings: SafeguardSettings;
}): SafeguardBreach | undefined {
  const { removals, appAssigned, orgAssigned, settings } = input;
  const breaches: SafeguardBreach[] = [];
  if (settings.app.enabled && appAssigned > APP_LEVEL_MIN_USERS) {
    const limit = Math.floor((appAssigned * settings.app.percent) / 100);
    if (removals > limit) breaches.push({ level: "APP", removals, limit, percent: settings.app.percent, base: appAssigned });
  }
  if (settings.org.enabled && orgAssigned >= ORG_LEVEL_MIN_ASSIGNMENTS) {
    const limit = Math.floor((orgAssigned * settings.org.percent) / 100);
    if (removals > limit) breaches.push({ level: "ORG", removals, limit, percent: settings.org.percent, base: orgAssigned });
  }
  // The lower limit is reached first; on a tie the app level is reported.
  return breaches.sort((a, b) => a.limit - b.limit || (a.level === "APP" ? -1 : 1))[0];
}
