import type { AssignInput, UpdateInput } from "../assignments/app-user-rules";
import type { AppUserRow } from "../db/schema";
import { unwrap, type Result } from "../domain/errors";

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
    unassignUser: (userId: string) => settle<null>(stub.unassignUser(appId, userId)),
    removeUser: (userId: string) => settle<null>(stub.removeUser(appId, userId)),
    deleteApp: () => settle<null>(stub.deleteApp(appId)),
  };
}
