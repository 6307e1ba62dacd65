import { modeOf, type UserProvisioningCapabilities } from "./capabilities";

// Okta keeps only a hash of a user's password, so an app that syncs the Okta password cannot get
// it for a user assigned after the password was last set: Okta captures it at the user's next
// sign-in and pushes it then. These rules say which assignments are waiting for that.

/**
 * Whether the app delivers the Okta password when it changes: Sync Password on, with the Okta
 * password (seed OKTA) and pushing changes (change CHANGE), over an enabled connection. This is
 * the condition under which the coordinator's passwordChanged pushes a password.
 */
export function syncsOktaPassword(connectionEnabled: boolean, capabilities: UserProvisioningCapabilities): boolean {
  const mode = modeOf(connectionEnabled, capabilities);
  return mode.pushPasswordChanges && mode.passwordSeed === "OKTA";
}

export interface PasswordCandidate {
  /** When the assignment (app user) was made. */
  assigned: Date;
  /** The user's passwordChanged (null: no password). */
  passwordChanged: Date | null;
  /** The downstream account, if provisioning made (or linked) one. */
  externalId: string | null;
  /** The last capture for this assignment, if any. */
  delivery: { passwordVersion: Date; requested: Date } | null;
}

export type PendingPassword = "WAITING_FOR_SIGN_IN" | "CAPTURED";

/**
 * WAITING_FOR_SIGN_IN: the assignment was made after the password was last set (so no push ever
 * carried it) and no capture since covers this password and this assignment. CAPTURED: a
 * sign-in captured it and handed it to the app's coordinator (delivered once the coordinator's
 * task for the user no longer carries it). Undefined: nothing is waiting.
 */
export function pendingPassword(candidate: PasswordCandidate): PendingPassword | undefined {
  const { assigned, passwordChanged, delivery } = candidate;
  if (!passwordChanged || assigned.getTime() <= passwordChanged.getTime()) return undefined;
  const covered =
    delivery !== null &&
    delivery.passwordVersion.getTime() === passwordChanged.getTime() &&
    delivery.requested.getTime() >= assigned.getTime();
  return covered ? "CAPTURED" : "WAITING_FOR_SIGN_IN";
}
