import type { DB } from "../db/client";
import type { AppProvisioningRow, UserRow } from "../db/schema";
import {
  passwordCandidatesOfApp,
  passwordCandidatesOfUser,
  recordDelivery,
  type PasswordCandidateRow,
} from "../db/queries/password-deliveries";
import { appCoordinator } from "../coordinator/client";
import { seal } from "../crypto/secret-box";
import { modeOf } from "../provisioning/capabilities";
import { pendingPassword, syncsOktaPassword } from "../provisioning/pending-password";
import type { AuditContext } from "../audit/system-log";
import { toPage, type Page } from "../http/pagination";

export type PendingPasswordStatus = "WAITING_FOR_SIGN_IN" | "DELIVERING" | "DELIVERY_FAILED";

export interface PendingPasswordView {
  userId: string;
  status: PendingPasswordStatus;
  assigned: Date;
  passwordChanged: Date;
}

const candidateOf = (row: PasswordCandidateRow) => ({
  assigned: row.assigned,
  passwordChanged: row.passwordChanged,
  externalId: row.externalId,
  delivery: row.passwordVersion && row.requested ? { passwordVersion: row.passwordVersion, requested: row.requested } : null,
});

/**
 * One page of an app's assignments whose Okta password is still to be delivered: waiting for the
 * user's next sign-in, or captured and in the coordinator's queue (or failed there). The page is
 * a keyset page of candidate assignments, so it may hold fewer items than `limit` while a next
 * page exists.
 */
export async function pendingPasswordsOfApp(
  env: Env,
  db: DB,
  provisioning: AppProvisioningRow,
  afterUserId: string | undefined,
  limit: number,
): Promise<Page<PendingPasswordView>> {
  const enabled = provisioning.connectionStatus === "ENABLED";
  if (!syncsOktaPassword(enabled, provisioning.capabilities)) return { items: [], nextCursor: null };
  const creates = modeOf(enabled, provisioning.capabilities).create;
  const page = toPage(await passwordCandidatesOfApp(db, provisioning.appId, afterUserId, limit), limit, (row) => [row.userId]);
  const states = page.items
    // Without an account downstream, and none coming, there is nothing to give a password to.
    .filter((row) => row.externalId !== null || creates)
    .map((row) => ({ row, state: pendingPassword(candidateOf(row)) }))
    .filter(({ state }) => state !== undefined);
  const tasks = states.some(({ state }) => state === "CAPTURED") ? await appCoordinator(env, provisioning.appId).tasks() : [];
  const carrying = new Map(tasks.filter((task) => task.password_box).map((task) => [task.subject, task.status]));
  const items: PendingPasswordView[] = [];
  for (const { row, state } of states) {
    let status: PendingPasswordStatus = "WAITING_FOR_SIGN_IN";
    if (state === "CAPTURED") {
      const task = carrying.get(`user:${row.userId}`);
      // The coordinator drops a password from its task once delivered: nothing left to show.
      if (task === undefined) continue;
      status = task === "FAILED" ? "DELIVERY_FAILED" : "DELIVERING";
    }
    items.push({ userId: row.userId, status, assigned: row.assigned, passwordChanged: row.passwordChanged! });
  }
  return { items, nextCursor: page.nextCursor };
}

/**
 * At a successful sign-in, the password the user typed goes (sealed) to every app whose
 * assignment has been waiting for it, through the coordinator's passwordChanged, as a password
 * change would. Assignments without a downstream account yet keep waiting: the coordinator
 * pushes passwords only to accounts it has. Returns the apps it was handed to.
 */
export async function deliverCapturedPassword(env: Env, db: DB, user: UserRow, password: string, audit?: AuditContext): Promise<string[]> {
  if (!user.passwordChanged) return [];
  const waiting = (await passwordCandidatesOfUser(db, user.id)).filter(
    (row) =>
      row.externalId !== null && syncsOktaPassword(true, row.capabilities) && pendingPassword(candidateOf(row)) === "WAITING_FOR_SIGN_IN",
  );
  if (waiting.length === 0) return [];
  const box = await seal(env.CREDENTIALS_KEY, password);
  const now = new Date();
  for (const row of waiting) {
    await appCoordinator(env, row.appId, audit).passwordChanged(user.id, box);
    await recordDelivery(db, row.appId, user.id, user.passwordChanged, now);
  }
  return waiting.map((row) => row.appId);
}
