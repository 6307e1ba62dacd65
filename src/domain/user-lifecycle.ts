import { DomainError } from "./errors";

// Okta's UserStatus enum (okta-reference.md §4.1).
export const USER_STATUSES = [
  "ACTIVE",
  "DEPROVISIONED",
  "LOCKED_OUT",
  "PASSWORD_EXPIRED",
  "PROVISIONED",
  "RECOVERY",
  "STAGED",
  "SUSPENDED",
] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export type LifecycleOperation = "activate" | "deactivate" | "reactivate" | "suspend" | "unsuspend";

/** Status right after `POST /api/v1/users?activate=` (the creation table in Okta's User tag). */
export function statusAfterCreate(activate: boolean, hasPassword: boolean): UserStatus {
  if (!activate) return "STAGED";
  return hasPassword ? "ACTIVE" : "PROVISIONED";
}

/** Users that may not be given apps or app profile changes (Okta E0000117). */
export function isInactiveForApps(status: UserStatus): boolean {
  return status === "DEPROVISIONED";
}

/**
 * The status a lifecycle operation leads to, or the Okta error for a status that does not
 * allow it. Okta documents the allowed source states per operation: activate from STAGED or
 * DEPROVISIONED, reactivate from PROVISIONED or RECOVERY, suspend from ACTIVE, unsuspend from
 * SUSPENDED, deactivate from anything but DEPROVISIONED.
 */
export function applyLifecycle(op: LifecycleOperation, current: UserStatus, hasPassword: boolean): UserStatus {
  switch (op) {
    case "activate":
      if (current === "ACTIVE") throw new DomainError("E0000016");
      if (current !== "STAGED" && current !== "DEPROVISIONED") throw notAllowed();
      return hasPassword ? "ACTIVE" : "PROVISIONED";
    case "reactivate":
      if (current !== "PROVISIONED" && current !== "RECOVERY") throw notAllowed();
      return "PROVISIONED";
    case "deactivate":
      if (current === "DEPROVISIONED") throw notAllowed();
      return "DEPROVISIONED";
    case "suspend":
      // Okta's E0000001 description names exactly this case ("suspending a user who is not active").
      if (current !== "ACTIVE") throw DomainError.validation("suspend", "Cannot suspend a user that is not active");
      return "SUSPENDED";
    case "unsuspend":
      if (current !== "SUSPENDED") throw DomainError.validation("unsuspend", "Cannot unsuspend a user that is not suspended");
      return "ACTIVE";
  }
}

function notAllowed(): DomainError {
  return new DomainError("E0000038");
}
