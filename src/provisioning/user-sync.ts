import { sameJson } from "../assignments/effective-profile";
import type { AppUserRow, UserRow } from "../db/schema";
import type { AttributeDef } from "../mappings/app-user-schema";
import type { ProvisioningMode } from "./capabilities";
import { SCIM_PATCH, type ScimClient, type ScimOutcome } from "./scim-client";
import { randomPassword, scimUserPayload } from "./scim-user";

type Json = Record<string, unknown>;

/** The downstream account provisio knows for a user of this app (kept in the coordinator's storage). */
export interface DownstreamLink {
  externalId: string;
  userName: string;
  active: boolean;
  /** What was last pushed (without password and active), to push profile changes only. */
  pushed: Json | null;
}

export interface TraceStep {
  step: "match" | "create" | "link" | "reactivate" | "update" | "password" | "leave-group" | "deactivate" | "skip";
  detail: string;
  status?: number | null;
}

export interface UserSyncInput {
  appUser: AppUserRow | undefined;
  user: UserRow | undefined;
  link: DownstreamLink | undefined;
  mode: ProvisioningMode;
  attributes: Record<string, AttributeDef>;
  /** A password waiting to be delivered (the task carries it, sealed, until then). */
  password: string | null;
  /** Downstream groups the user was pushed into (Group Push), left before deactivation. */
  pushedGroups: { mappingId: string; targetGroupId: string }[];
  patchSupported: () => Promise<boolean>;
}

export interface UserSyncResult {
  /** The link after this run (null: none); saved even when a later step failed. */
  link: DownstreamLink | null;
  /** Set when the assignment is now in step with the downstream account. */
  synced: boolean;
  leftGroups: string[];
  passwordDelivered: boolean;
  trace: TraceStep[];
  error?: { retryable: boolean; retryAfterMs?: number; reason: string; status: number | null };
}

class StepFailed extends Error {
  constructor(readonly outcome: Extract<ScimOutcome, { ok: false }>) {
    super(outcome.reason);
  }
}

/**
 * Brings one user's downstream account in line with their assignment: create or link when
 * assigned (search by userName first, so a create that timed out after the downstream
 * committed is found rather than repeated, and 409 links), reactivate a deactivated account,
 * push the full profile when it changed, deliver a pending password; when no longer assigned,
 * leave pushed groups first and then deactivate (active: false, never DELETE).
 */
export async function syncUser(scim: ScimClient, input: UserSyncInput): Promise<UserSyncResult> {
  const result: UserSyncResult = { link: input.link ?? null, synced: false, leftGroups: [], passwordDelivered: false, trace: [] };
  const trace = (step: TraceStep["step"], detail: string, status?: number | null) =>
    result.trace.push({ step, detail, ...(status === undefined ? {} : { status }) });
  const call = async <T = Json>(
    promise: Promise<ScimOutcome<T>>,
    step: TraceStep["step"],
    detail: string,
  ): Promise<{ status: number; body: T }> => {
    const outcome = await promise;
    trace(step, outcome.ok ? detail : `${detail}: ${outcome.reason}`, outcome.status);
    if (!outcome.ok) throw new StepFailed(outcome);
    return outcome;
  };

  try {
    const assigned = input.appUser !== undefined && input.user !== undefined && input.user.status !== "DEPROVISIONED";
    if (!assigned) {
      // No account to give a pending password to any more: it is dropped.
      result.passwordDelivered = input.password !== null;
      await deprovision(scim, input, result, call, trace);
      return result;
    }
    const appUser = input.appUser!;
    const user = input.user!;
    const userName = appUser.userName ?? user.profile.login;
    const payload = scimUserPayload({
      userName: String(userName),
      appProfile: appUser.profile,
      oktaProfile: user.profile,
      attributes: input.attributes,
    });

    if (!result.link) {
      if (!input.mode.create) {
        trace("skip", "Create Users is disabled: the assignment stays unprovisioned");
        // A pending password has nowhere to go: it is dropped, not kept for ever.
        result.passwordDelivered = input.password !== null;
        return result;
      }
      result.link = await findOrCreate(scim, input, payload, result, call, trace);
    }
    const link = result.link!;
    if (!link.active) {
      await call(setActive(scim, input, link, true), "reactivate", `reactivated ${link.externalId}`);
      link.active = true;
    }
    if (input.mode.pushProfile && !sameJson(link.pushed, payload)) {
      const body = input.mode.excludeUsernameUpdates ? { ...payload, userName: link.userName } : payload;
      if (await input.patchSupported()) {
        const { schemas: _s, ...value } = body;
        if (input.mode.excludeUsernameUpdates) delete (value as Json).userName;
        await call(
          scim.request("PATCH", `/Users/${link.externalId}`, { schemas: [SCIM_PATCH], Operations: [{ op: "replace", value }] }),
          "update",
          "pushed the full profile (PATCH)",
        );
      } else {
        await call(
          scim.request("PUT", `/Users/${link.externalId}`, { ...body, id: link.externalId, active: true }),
          "update",
          "pushed the full profile (PUT)",
        );
      }
      link.pushed = payload;
      if (!input.mode.excludeUsernameUpdates) link.userName = String(userName);
    }
    if (input.password !== null && !result.passwordDelivered) {
      if (input.mode.pushPassword) {
        await call(patchAttribute(scim, link.externalId, "password", input.password), "password", "pushed the password");
        result.passwordDelivered = true;
      } else {
        trace("skip", "Sync Password is disabled: the pending password is dropped");
        result.passwordDelivered = true;
      }
    }
    result.synced = true;
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
    const { retryable, retryAfterMs, reason, status } = error.outcome;
    result.error = { retryable, retryAfterMs, reason, status };
  }
  return result;
}

type Call = <T = Json>(promise: Promise<ScimOutcome<T>>, step: TraceStep["step"], detail: string) => Promise<{ status: number; body: T }>;
type Trace = (step: TraceStep["step"], detail: string, status?: number | null) => void;

async function findOrCreate(
  scim: ScimClient,
  input: UserSyncInput,
  payload: Json,
  result: UserSyncResult,
  call: Call,
  trace: Trace,
): Promise<DownstreamLink> {
  const userName = String(payload.userName);
  const found = await lookUp(scim, userName, call);
  if (found) {
    trace("link", `linked to existing downstream user ${found.externalId} instead of creating one`);
    return found;
  }
  const password = input.password ?? (input.mode.passwordSeed === "RANDOM" ? randomPassword() : null);
  const created = await scim.request("POST", "/Users", { ...payload, active: true, ...(password ? { password } : {}) });
  if (created.ok && typeof created.body.id === "string") {
    trace("create", `created downstream user ${created.body.id}`, created.status);
    if (input.password !== null) result.passwordDelivered = true;
    return { externalId: created.body.id, userName, active: true, pushed: payload };
  }
  if (!created.ok && created.status === 409) {
    trace("create", `downstream says ${userName} exists (409): linking`, 409);
    const again = await lookUp(scim, userName, call);
    if (again) return again;
  }
  if (created.ok)
    throw new StepFailed({ ok: false, status: created.status, retryable: false, kind: "NOT_SCIM", reason: "created user has no id" });
  trace("create", `create failed: ${created.reason}`, created.status);
  throw new StepFailed(created);
}

async function lookUp(scim: ScimClient, userName: string, call: Call): Promise<DownstreamLink | undefined> {
  const { body } = await call(scim.findUserByUserName(userName), "match", `searched downstream for userName eq "${userName}"`);
  const match = (body.Resources ?? []).find((r) => typeof r.id === "string" && String(r.userName).toLowerCase() === userName.toLowerCase());
  if (!match) return undefined;
  return { externalId: String(match.id), userName: String(match.userName), active: match.active !== false, pushed: null };
}

async function deprovision(scim: ScimClient, input: UserSyncInput, result: UserSyncResult, call: Call, trace: Trace): Promise<void> {
  const link = result.link;
  if (!link || !link.active) {
    trace("skip", "not assigned and no active downstream account");
    result.synced = true;
    return;
  }
  // Leave pushed groups first, so no stale downstream membership outlives the account.
  for (const group of input.pushedGroups) {
    const outcome = await scim.request("PATCH", `/Groups/${group.targetGroupId}`, {
      schemas: [SCIM_PATCH],
      Operations: [{ op: "remove", path: `members[value eq "${link.externalId}"]` }],
    });
    if (!outcome.ok && outcome.status !== 404) {
      trace("leave-group", `leaving ${group.targetGroupId}: ${outcome.reason}`, outcome.status);
      throw new StepFailed(outcome);
    }
    trace("leave-group", `left downstream group ${group.targetGroupId}`, outcome.status);
    result.leftGroups.push(group.mappingId);
  }
  if (!input.mode.deactivate) {
    trace("skip", "Deactivate Users is disabled: the downstream account stays active");
    result.synced = true;
    return;
  }
  await call(setActive(scim, input, link, false), "deactivate", `deactivated ${link.externalId} (active: false)`);
  link.active = false;
  result.synced = true;
}

function patchAttribute(scim: ScimClient, externalId: string, path: string, value: unknown) {
  return scim.request("PATCH", `/Users/${externalId}`, { schemas: [SCIM_PATCH], Operations: [{ op: "replace", path, value }] });
}

async function setActive(scim: ScimClient, input: UserSyncInput, link: DownstreamLink, active: boolean): Promise<ScimOutcome> {
  if (await input.patchSupported()) return patchAttribute(scim, link.externalId, "active", active);
  const current = await scim.request("GET", `/Users/${link.externalId}`);
  if (!current.ok) return current;
  return scim.request("PUT", `/Users/${link.externalId}`, { ...current.body, active });
}
