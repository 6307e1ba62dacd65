import type { AssignInput, UpdateInput } from "../assignments/app-user-rules";
import type { GroupAssignmentChange, JsonPatchOperation } from "../assignments/group-assignment-patch";
import type { AppGroupRow, AppUserRow, ImportSessionRow } from "../db/schema";
import { unwrap, type Result } from "../domain/errors";
import type { UnassignOutcome } from "./app-coordinator";
import type { progressOf } from "./fan-out-jobs";
import type { RunReport } from "./provisioning-runner";
import type { DeactivationHold, TaskRow, TaskStatus } from "./provisioning-store";
import type { describeBreaker } from "./provisioning-runner";
import type { BreakerConfig } from "../provisioning/circuit-breaker";
import type { AuditContext } from "../audit/system-log";
import type { AssignmentCause } from "../audit/events";

/**
 * The Worker's side of an app's coordinator: typed calls that return the value or throw the
 * DomainError the coordinator reported (errors cross RPC as data so they keep their code).
 * `audit` (the request's id, actor and client) goes with every change, for the System Log.
 */
export function appCoordinator(env: Env, appId: string, audit?: AuditContext) {
  const stub = env.APP_COORDINATOR.getByName(appId);
  // RPC maps return types through its serialization types; the values are the same shapes.
  const settle = async <T>(call: Promise<unknown>) => unwrap((await call) as Result<T>);
  return {
    assignUser: (input: AssignInput) => settle<AppUserRow>(stub.assignUser(appId, input, audit)),
    updateUser: (userId: string, input: UpdateInput) => settle<AppUserRow>(stub.updateUser(appId, userId, input, audit)),
    unassignUser: (userId: string) => settle<UnassignOutcome>(stub.unassignUser(appId, userId, audit)),
    reconcileUser: (userId: string, cause?: AssignmentCause) => settle<null>(stub.reconcileUser(appId, userId, audit, cause)),
    assignGroup: (groupId: string, change: GroupAssignmentChange | { patch: JsonPatchOperation[] }) =>
      settle<AppGroupRow>(stub.assignGroup(appId, groupId, change, audit)),
    unassignGroup: (groupId: string) => settle<null>(stub.unassignGroup(appId, groupId, audit)),
    groupDeleted: () => settle<null>(stub.groupDeleted(appId, audit)),
    reconcileAll: (reason: string, dropAttributes: string[] = []) => settle<null>(stub.reconcileAll(appId, reason, dropAttributes, audit)),
    operations: () => stub.operations(),
    invocationStats: () => stub.invocationStats(),
    deleteApp: () => settle<{ done: boolean }>(stub.deleteApp(appId, audit)),
    passwordChanged: (userId: string, passwordBox: string) => settle<null>(stub.passwordChanged(appId, userId, passwordBox, audit)),
    provisioningChanged: () => settle<null>(stub.provisioningChanged(appId)),
    provisionUsers: () => settle<ReturnType<typeof progressOf>>(stub.provisionUsers(appId, audit)),
    syncUserNow: (userId: string) => settle<RunReport>(stub.syncUserNow(appId, userId, audit)),
    tasks: (status?: TaskStatus) => stub.tasks(status) as Promise<TaskRow[]>,
    retryTask: (taskId: string) => settle<TaskRow>(stub.retryTask(appId, taskId, audit)),
    outboundSafety: () =>
      stub.outboundSafety() as Promise<{
        breaker: ReturnType<typeof describeBreaker> & { config: BreakerConfig; now: number };
        holds: DeactivationHold[];
      }>,
    resetBreaker: () => settle<null>(stub.resetBreaker(appId)),
    resolveDeactivationHold: (holdId: string, decision: "release" | "discard") =>
      settle<DeactivationHold>(stub.resolveDeactivationHold(appId, holdId, decision)),
    startImport: (request: { type: "FULL" | "INCREMENTAL"; dryRun: boolean; trigger: "MANUAL" | "SCHEDULE" }) =>
      settle<ImportSessionRow>(stub.startImport(appId, request, audit)),
    confirmImport: (sessionId: string, request: { seqs: number[] | "all"; activate: boolean }) =>
      settle<ImportSessionRow>(stub.confirmImport(appId, sessionId, request, audit)),
    cancelImport: (sessionId: string) => settle<ImportSessionRow>(stub.cancelImport(appId, sessionId, audit)),
    resumeImport: (sessionId: string) => settle<ImportSessionRow>(stub.resumeImport(appId, sessionId, audit)),
    wakeImports: () => settle<null>(stub.wakeImports(appId)),
    pushMappingChanged: (mappingId: string) => settle<null>(stub.pushMappingChanged(appId, mappingId, audit)),
    pushMappingDeleted: (mappingId: string, targetGroupId: string | null, deleteTargetGroup: boolean) =>
      settle<null>(stub.pushMappingDeleted(appId, mappingId, targetGroupId, deleteTargetGroup, audit)),
  };
}

/** Asks each app's coordinator to re-check one user (membership, profile or status changed). */
export async function reconcileUserInApps(
  env: Env,
  appIds: Iterable<string>,
  userId: string,
  audit?: AuditContext,
  cause?: AssignmentCause,
): Promise<void> {
  await Promise.all([...new Set(appIds)].map((appId) => appCoordinator(env, appId, audit).reconcileUser(userId, cause)));
}
