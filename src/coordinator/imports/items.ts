import type { ImportItemRow, ImportSessionRow } from "../../db/schema";
import type { ImportedUser, ImportResult } from "../../imports/matching";
import type { InboundSettings } from "../../imports/inbound-settings";
import { appTarget } from "../../audit/events";
import type { AuditContext, LogEventInput } from "../../audit/system-log";

// What an import session's steps share: the plan of one downstream user, what applying an item
// did, the rows items are stored as, and the System Log events of each decision.

export type Planned = { result: ImportResult; userId?: string; detail: string; profile?: Record<string, unknown> };

/** Where an item keeps the Okta profile values an inline hook set (com.okta.user.profile.update). */
export const OKTA_PROFILE_KEY = "okta:user";

export type ApplyOutcome =
  | { ok: true; detail: string; userId?: string; oktaUserChanged?: boolean; assignment?: "added" | "updated" }
  | { ok: false; detail: string; userId?: string; oktaUserChanged?: undefined };

export function sourcingDetail(result: ImportResult, sourcing: InboundSettings["profileSourcing"]): string {
  switch (result) {
    case "DEACTIVATED":
      return `deactivated in the app: ${sourcing.onDeactivated === "SUSPEND" ? "suspend" : "deactivate"} the Okta user`;
    case "REACTIVATED":
      return "active in the app again: reactivate the Okta user if the profile matches exactly";
    case "UPDATED":
      return "the app changed the user's profile: update the Okta user";
    default:
      return "already linked";
  }
}

export function itemRow(sessionId: string, seq: number, user: ImportedUser, digest: string | null = null): ImportItemRow {
  return {
    sessionId,
    seq,
    externalId: user.externalId,
    userName: user.userName,
    active: user.active,
    profile: user.profile,
    result: null,
    matchedUserId: null,
    decision: "NONE",
    detail: null,
    digest,
  };
}

export function importedOf(item: ImportItemRow): ImportedUser {
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
  return {
    externalId: item.externalId,
    userName: item.userName,
    email: text(item.profile.email),
    firstName: text(item.profile.firstName),
    lastName: text(item.profile.lastName),
    active: item.active,
    profile: item.profile,
  };
}

const sessionTarget = (session: ImportSessionRow) => ({ id: session.id, type: "ImportSession" as const });

function importedUserTarget(item: ImportItemRow, userId: string | undefined | null) {
  return userId
    ? { id: userId, type: "User" as const, displayName: item.userName }
    : { id: item.externalId, type: "AppUser" as const, alternateId: item.userName, displayName: item.userName };
}

/**
 * The plan's decision for one imported user (system.import.user.match): SUCCESS for a match,
 * a new user or a sourced change (each pending confirmation), SKIPPED for an unchanged or
 * ignored user, FAILURE for a conflict.
 */
export function planEvent(session: ImportSessionRow, item: ImportItemRow, plan: Planned, audit: AuditContext): LogEventInput {
  const outcome: LogEventInput["outcome"] =
    plan.result === "CONFLICT"
      ? { result: "FAILURE", reason: plan.detail }
      : plan.result === "UNCHANGED" || plan.result === "IGNORED"
        ? { result: "SKIPPED", reason: plan.detail }
        : { result: "SUCCESS" };
  return {
    eventType: "system.import.user.match",
    displayMessage: "Match imported user to an Okta user",
    audit,
    outcome,
    ...(plan.result === "CONFLICT" ? { severity: "WARN" as const } : {}),
    target: [appTarget(session.appId), sessionTarget(session), importedUserTarget(item, plan.userId)],
    details: {
      sessionId: session.id,
      importResult: plan.result,
      externalId: item.externalId,
      decision: plan.result === "UNCHANGED" || plan.result === "IGNORED" ? "NONE" : "PENDING",
      detail: plan.detail,
    },
  };
}

/**
 * What applying one confirmed item did: an Okta user created (system.import.user.create),
 * updated from the app (system.import.user.update) or its status changed by the app
 * (system.import.user.update_user_lifecycle_from_master), the assignment linked
 * (application.user_membership.add, or .update when it existed) or removed (.remove). An item
 * that could not be applied is one FAILURE event of the kind it would have been.
 */
export function applyEvents(session: ImportSessionRow, item: ImportItemRow, outcome: ApplyOutcome, audit: AuditContext): LogEventInput[] {
  const userId = outcome.userId ?? item.matchedUserId;
  const target = [appTarget(session.appId), sessionTarget(session), importedUserTarget(item, userId)];
  const details = { sessionId: session.id, importResult: item.result, externalId: item.externalId, detail: outcome.detail };
  const event = (eventType: string, displayMessage: string): LogEventInput => ({
    eventType,
    displayMessage,
    audit,
    target,
    details,
    ...(outcome.ok ? {} : { outcome: { result: "FAILURE" as const, reason: outcome.detail }, severity: "WARN" as const }),
  });
  const link = () =>
    outcome.ok && outcome.assignment === "updated"
      ? event("application.user_membership.update", "Update user's application membership")
      : event("application.user_membership.add", "Add user to application membership");
  switch (item.result) {
    case "UNASSIGN":
      return [event("application.user_membership.remove", "Remove user from application membership")];
    case "NEW":
      return outcome.ok
        ? [event("system.import.user.create", "Create Okta user from import"), link()]
        : [event("system.import.user.create", "Create Okta user from import")];
    case "UPDATED":
      return [event("system.import.user.update", "Update Okta user from import")];
    case "DEACTIVATED":
      return [event("system.import.user.update_user_lifecycle_from_master", "Update user lifecycle from app")];
    case "REACTIVATED": {
      const lifecycle = event("system.import.user.update_user_lifecycle_from_master", "Update user lifecycle from app");
      return outcome.ok && outcome.assignment ? [lifecycle, link()] : [lifecycle];
    }
    default:
      // EXACT, PARTIAL (a link) and CONFLICT (which cannot be applied).
      return [link()];
  }
}
