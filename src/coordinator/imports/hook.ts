import { open } from "../../crypto/secret-box";
import type { DB } from "../../db/client";
import { usersByIds } from "../../db/queries/bulk-lookups";
import { getInlineHook } from "../../db/queries/inline-hooks";
import type { AppRow, InlineHookRow } from "../../db/schema";
import { DomainError } from "../../domain/errors";
import { HOOK_TIMEOUT_MS, IMPORT_HOOK_TYPE, importHookRequest, parseHookResponse, type HookEffect } from "../../imports/inline-hook";
import type { ImportedUser } from "../../imports/matching";
import { checkDownstreamUrl, type DownstreamAccess } from "../../provisioning/downstream-url";
import { OKTA_PROFILE_KEY, type Planned } from "./items";
import { inlineHookIdOf } from "./session";

/** The hook sees the users an import would create or link. */
const hookable = (plan: Planned) => plan.result === "EXACT" || plan.result === "PARTIAL" || plan.result === "NEW";

/** How many hook calls run at once (each waits at most HOOK_TIMEOUT_MS). */
const HOOK_CONCURRENCY = 8;

/** The app's active import inline hook (com.okta.import.transform), if it has one. */
export async function importHookOf(db: DB, app: AppRow | undefined): Promise<InlineHookRow | undefined> {
  const hookId = inlineHookIdOf(app);
  if (!hookId) return undefined;
  const hook = await getInlineHook(db, hookId);
  return hook?.status === "ACTIVE" && hook.type === IMPORT_HOOK_TYPE ? hook : undefined;
}

/**
 * Calls the import inline hook for each user the plan would create or link and applies its
 * commands to the plan; a hook that fails or times out leaves its user as planned. Network
 * calls only: runs outside the coordinator's critical section. Users the hook names are looked
 * up together afterwards (one query).
 */
export async function runImportHook(
  deps: { db: DB; credentialsKey: string; access: DownstreamAccess },
  hook: InlineHookRow,
  app: AppRow,
  sessionId: string,
  users: ImportedUser[],
  planned: Planned[],
): Promise<void> {
  // The URI was checked when the hook was saved; checked again in case DOWNSTREAM_ACCESS has
  // since become stricter or the row was written some other way.
  try {
    checkDownstreamUrl(hook.uri, deps.access, "channel.config.uri");
  } catch (error) {
    const reason = error instanceof DomainError ? error.causes.join("; ") : String(error);
    for (const plan of planned.filter(hookable)) plan.detail = `${plan.detail}; inline hook not called (${reason}): item left as planned`;
    return;
  }
  const headers = await hookHeaders(hook, deps.credentialsKey);
  const effects = new Map<number, HookEffect>();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < users.length; i = next++) {
      const plan = planned[i];
      if (!hookable(plan)) continue;
      const request = importHookRequest({
        app: { id: app.id, name: app.name, label: app.label, status: app.status },
        sessionId,
        user: users[i],
        proposed: plan.result === "NEW" ? "CREATE_USER" : "LINK_USER",
        matchedUserId: plan.userId,
        policy: ["EMAIL", "FIRST_AND_LAST_NAME_MATCH"],
      });
      try {
        const response = await fetch(hook.uri, {
          redirect: "manual",
          method: "POST",
          headers,
          body: JSON.stringify(request),
          signal: AbortSignal.timeout(HOOK_TIMEOUT_MS),
        });
        if (!response.ok) throw new Error(`answered ${response.status}`);
        effects.set(i, parseHookResponse(await response.json()));
      } catch (error) {
        const reason =
          error instanceof Error && error.name === "TimeoutError"
            ? `no answer within ${HOOK_TIMEOUT_MS} ms`
            : error instanceof Error
              ? error.message
              : String(error);
        plan.detail = `${plan.detail}; inline hook failed (${reason}): item left as planned`;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(HOOK_CONCURRENCY, users.length) }, worker));
  const named = await usersByIds(
    deps.db,
    [...effects.values()].flatMap((effect) => (effect.linkUserId ? [effect.linkUserId] : [])),
  );
  for (const [i, effect] of effects) applyHookEffect(effect, users[i], planned[i], named);
}

function applyHookEffect(effect: HookEffect, user: ImportedUser, plan: Planned, named: Map<string, { id: string; login: string }>): void {
  const notes: string[] = [];
  if (effect.appUserProfile || effect.userProfile) {
    const profile = { ...user.profile, ...effect.appUserProfile };
    if (effect.userProfile)
      profile[OKTA_PROFILE_KEY] = { ...(user.profile[OKTA_PROFILE_KEY] as Record<string, unknown> | undefined), ...effect.userProfile };
    plan.profile = profile;
    notes.push("profile changed by the inline hook");
  }
  if (effect.linkUserId) {
    const linked = named.get(effect.linkUserId);
    if (linked) {
      Object.assign(plan, { result: "EXACT", userId: linked.id });
      notes.push(`inline hook linked to ${linked.login}`);
    } else {
      notes.push(`inline hook named unknown user ${effect.linkUserId}`);
    }
  } else if (effect.action === "CREATE_USER" && plan.result !== "NEW") {
    Object.assign(plan, { result: "NEW", userId: undefined });
    notes.push("inline hook asked to create a new user");
  }
  if (notes.length > 0) plan.detail = `${plan.detail}; ${notes.join("; ")}`;
}

async function hookHeaders(hook: InlineHookRow, credentialsKey: string): Promise<Record<string, string>> {
  const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json" };
  for (const { key, value } of hook.headers) headers[key] = value;
  if (hook.authKey && hook.authBox) headers[hook.authKey] = await open(credentialsKey, hook.authBox);
  return headers;
}
