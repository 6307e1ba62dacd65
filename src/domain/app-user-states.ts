// Okta's AppUser enums (okta-reference.md §2.2).
export const APP_USER_SCOPES = ["USER", "GROUP"] as const;
export type AppUserScope = (typeof APP_USER_SCOPES)[number];

export const APP_USER_STATUSES = [
  "ACTIVE",
  "APPROVED",
  "DEPROVISIONED",
  "IMPLICIT",
  "IMPORTED",
  "INACTIVE",
  "MATCHED",
  "PENDING",
  "PROVISIONED",
  "REVOKED",
  "STAGED",
  "SUSPENDED",
  "UNASSIGNED",
] as const;
export type AppUserStatus = (typeof APP_USER_STATUSES)[number];

export const APP_USER_SYNC_STATES = ["DISABLED", "OUT_OF_SYNC", "SYNCING", "SYNCHRONIZED", "ERROR"] as const;
export type AppUserSyncState = (typeof APP_USER_SYNC_STATES)[number];
