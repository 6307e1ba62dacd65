import type { DB } from "../db/client";
import type { AppRow, GroupPushMappingRow } from "../db/schema";
import { getAppGroup } from "../db/queries/app-groups";
import { deletePushMapping, insertPushMapping, pushMappingForSource, updatePushMapping } from "../db/queries/group-push";
import { getGroup } from "../db/queries/groups";
import { appCoordinator } from "../coordinator/client";
import type { AuditContext } from "../audit/system-log";
import { DomainError } from "../domain/errors";
import { randomChars } from "../domain/ids";
import type { CreatePushMappingInput } from "../wire/group-push";
import { requireOffered, requireProvisioning } from "./provisioning";

/**
 * POST /apps/{appId}/group-push/mappings. The group to push must not be one the app is
 * assigned to (Okta doesn't support the same group for both; use a separate push group).
 */
export async function createPushMapping(
  env: Env,
  db: DB,
  app: AppRow,
  input: CreatePushMappingInput,
  audit?: AuditContext,
): Promise<GroupPushMappingRow> {
  await requireProvisioning(db, app);
  await requireOffered(db, app, "groupPush");
  if (Boolean(input.targetGroupId) === Boolean(input.targetGroupName)) {
    throw DomainError.validation(
      "targetGroupId",
      "Give exactly one of targetGroupId (link an existing downstream group) or targetGroupName (push by name).",
    );
  }
  const group = await getGroup(db, input.sourceGroupId);
  if (!group) throw DomainError.notFound(input.sourceGroupId, "UserGroup");
  if (await getAppGroup(db, app.id, group.id)) {
    throw new DomainError("E0000027", "this group is assigned to the app", [
      "Okta doesn't support using the same group for app assignment and Group Push: create a separate push group (for example AppPushGroup next to Accounting).",
    ]);
  }
  if (await pushMappingForSource(db, app.id, group.id)) throw new DomainError("E0000027", "this group is already pushed to the app");
  const now = new Date();
  const row: GroupPushMappingRow = {
    id: `gPm${randomChars(17)}`,
    appId: app.id,
    sourceGroupId: group.id,
    targetGroupId: input.targetGroupId ?? null,
    targetGroupName: input.targetGroupName ?? null,
    status: input.status ?? "ACTIVE",
    errorSummary: null,
    lastPush: null,
    created: now,
    lastUpdated: now,
  };
  await insertPushMapping(db, row);
  if (row.status === "ACTIVE") await appCoordinator(env, app.id, audit).pushMappingChanged(row.id);
  return row;
}

/** PATCH: ACTIVE pushes the group and its members again; INACTIVE stops pushing. */
export async function setPushMappingStatus(
  env: Env,
  db: DB,
  mapping: GroupPushMappingRow,
  status: "ACTIVE" | "INACTIVE",
  audit?: AuditContext,
): Promise<GroupPushMappingRow> {
  const row = (await updatePushMapping(db, mapping.id, { status, lastUpdated: new Date() })) ?? mapping;
  if (status === "ACTIVE") await appCoordinator(env, mapping.appId, audit).pushMappingChanged(mapping.id);
  return row;
}

/** DELETE: only an INACTIVE mapping; the downstream group is deleted or left as asked. */
export async function removePushMapping(
  env: Env,
  db: DB,
  mapping: GroupPushMappingRow,
  deleteTargetGroup: boolean,
  audit?: AuditContext,
): Promise<void> {
  if (mapping.status !== "INACTIVE") {
    throw new DomainError("E0000027", "the mapping must be INACTIVE before it is deleted", ["Set status INACTIVE with PATCH first."]);
  }
  await deletePushMapping(db, mapping.id);
  await appCoordinator(env, mapping.appId, audit).pushMappingDeleted(mapping.id, mapping.targetGroupId, deleteTargetGroup);
}
