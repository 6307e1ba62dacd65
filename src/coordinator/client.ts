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

/**
 * The Worker's side of an app's coordinator: typed calls that return the value or throw the
 * DomainError the coordinator reported (errors cross RPC as data so they keep their code).
 */
export function appCoordinator(env: Env, appId: string) {
  const stub = env.APP_COORDINATOR.getByName(appId);
  // RPC maps return types through its serialization types; the values are the same shapes.
  const settle = async <T>(call: Promise<unknown>) => unwrap((await call) as Result<T>);
  return {
    assignUser: (input: AssignInput) => settle<AppUserRow>(stub.assignUser(appId, input)),
    updateUser: (userId: string, input: UpdateInput) => settle<AppUserRow>(stub.updateUser(appId, userId, input)),
    unassignUser: (userId: string) => settle<UnassignOutcome>(stub.unassignUser(appId, userId)),
    reconcileUser: (userId: string) => settle<null>(stub.reconcileUser(appId, userId)),
    assignGroup: (groupId: string, change: GroupAssignmentChange | { patch: JsonPatchOperation[] }) =>
      settle<AppGroupRow>(stub.assignGroup(appId, groupId, change)),
    unassignGroup: (groupId: string) => settle<null>(stub.unassignGroup(appId, groupId)),
    groupDeleted: () => settle<null>(stub.groupDeleted(appId)),
    reconcileAll: (reason: string, dropAttributes: string[] = []) => settle<null>(stub.reconcileAll(appId, reason, dropAttributes)),
    operations: () => stub.operations(),
    deleteApp: () => settle<null>(stub.deleteApp(appId)),
    passwordChanged: (userId: string, passwordBox: string) => settle<null>(stub.passwordChanged(appId, userId, passwordBox)),
    provisioningChanged: () => settle<null>(stub.provisioningChanged(appId)),
    provisionUsers: () => settle<ReturnType<typeof progressOf>>(stub.provisionUsers(appId)),
    syncUserNow: (userId: string) => settle<RunReport>(stub.syncUserNow(appId, userId)),
    tasks: (status?: TaskStatus) => stub.tasks(status) as Promise<TaskRow[]>,
    retryTask: (taskId: string) => settle<TaskRow>(stub.retryTask(appId, taskId)),
    outboundSafety: () =>
      stub.outboundSafety() as Promise<{
        breaker: ReturnType<typeof describeBreaker> & { config: BreakerConfig; now: number };
        holds: DeactivationHold[];
      }>,
    resetBreaker: () => settle<null>(stub.resetBreaker(appId)),
    resolveDeactivationHold: (holdId: string, decision: "release" | "discard") =>
      settle<DeactivationHold>(stub.resolveDeactivationHold(appId, holdId, decision)),
    startImport: (request: { type: "FULL" | "INCREMENTAL"; dryRun: boolean; trigger: "MANUAL" | "SCHEDULE" }) =>
      settle<ImportSessionRow>(stub.startImport(appId, request)),
    confirmImport: (sessionId: string, request: { seqs: number[] | "all"; activate: boolean }) =>
      settle<ImportSessionRow>(stub.confirmImport(appId, sessionId, request)),
    cancelImport: (sessionId: string) => settle<ImportSessionRow>(stub.cancelImport(appId, sessionId)),
    resumeImport: (sessionId: string) => settle<ImportSessionRow>(stub.resumeImport(appId, sessionId)),
    wakeImports: () => settle<null>(stub.wakeImports(appId)),
    pushMappingChanged: (mappingId: string) => settle<null>(stub.pushMappingChanged(appId, mappingId)),
    pushMappingDeleted: (mappingId: string, targetGroupId: string | null, deleteTargetGroup: boolean) =>
      settle<null>(stub.pushMappingDeleted(appId, mappingId, targetGroupId, deleteTargetGroup)),
  };
}

/** Asks each app's coordinator to re-check one user (membership, profile or status changed). */
export async function reconcileUserInApps(env: Env, appIds: Iterable<string>, userId: string): Promise<void> {
  await Promise.all([...new Set(appIds)].map((appId) => appCoordinator(env, appId).reconcileUser(userId)));
}
