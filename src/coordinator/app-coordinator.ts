import { DurableObject } from "cloudflare:workers";
import { createDb, type DB } from "../db/client";
import type { AppUserRow } from "../db/schema";
import { getApp, deleteAppRow } from "../db/queries/apps";
import { deleteAllAppUsers, deleteAppUser, getAppUser, upsertAppUser } from "../db/queries/app-users";
import { getUser } from "../db/queries/users";
import { seal } from "../crypto/secret-box";
import {
  planAssign,
  planUpdate,
  requireApp,
  requireAppUser,
  requireAssignableUser,
  type AppUserDraft,
  type AssignInput,
  type UpdateInput,
} from "../assignments/app-user-rules";
import { toResult, type Result } from "../domain/errors";
import { SerialQueue } from "./serial-queue";

/**
 * One per app (addressed by app id). Every change to the app's assignments runs here, inside
 * one FIFO critical section, and writes D1 in one batch. Reads never come here: they go to D1.
 */
export class AppCoordinator extends DurableObject<Env> {
  #queue = new SerialQueue();
  #db: DB;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#db = createDb(env.DB);
  }

  assignUser(appId: string, input: AssignInput): Promise<Result<AppUserRow>> {
    return this.#serialized(async () => {
      const db = this.#db;
      const [app, user, existing] = await Promise.all([getApp(db, appId), getUser(db, input.id), getAppUser(db, appId, input.id)]);
      const draft = planAssign(requireApp(app, appId), requireAssignableUser(user, input.id), existing, input, new Date());
      return this.#save(draft, existing);
    });
  }

  updateUser(appId: string, userId: string, input: UpdateInput): Promise<Result<AppUserRow>> {
    return this.#serialized(async () => {
      const db = this.#db;
      const [app, user, existing] = await Promise.all([getApp(db, appId), getUser(db, userId), getAppUser(db, appId, userId)]);
      const theApp = requireApp(app, appId);
      const current = requireAppUser(existing, appId, userId);
      const draft = planUpdate(theApp, requireAssignableUser(user, userId), current, input, new Date());
      return this.#save(draft, current);
    });
  }

  unassignUser(appId: string, userId: string): Promise<Result<null>> {
    return this.#serialized(async () => {
      const db = this.#db;
      const [app, existing] = await Promise.all([getApp(db, appId), getAppUser(db, appId, userId)]);
      requireApp(app, appId);
      requireAppUser(existing, appId, userId);
      await db.batch([deleteAppUser(db, appId, userId)]);
      return null;
    });
  }

  /** The user was deactivated: the assignment goes whatever granted it. Idempotent. */
  removeUser(appId: string, userId: string): Promise<Result<null>> {
    return this.#serialized(async () => {
      await this.#db.batch([deleteAppUser(this.#db, appId, userId)]);
      return null;
    });
  }

  /** Deletes the app and all its assignments in one batch (Okta deletes only inactive apps; the route checks). */
  deleteApp(appId: string): Promise<Result<null>> {
    return this.#serialized(async () => {
      const db = this.#db;
      await db.batch([deleteAllAppUsers(db, appId), deleteAppRow(db, appId)]);
      return null;
    });
  }

  #serialized<T>(task: () => Promise<T>): Promise<Result<T>> {
    return this.#queue.run(() => toResult(task));
  }

  async #save(draft: AppUserDraft, existing: AppUserRow | undefined): Promise<AppUserRow> {
    const { newPassword, ...fields } = draft;
    const passwordCiphertext =
      newPassword === null ? (existing?.passwordCiphertext ?? null) : await seal(this.env.CREDENTIALS_KEY, newPassword);
    const row: AppUserRow = { ...fields, passwordCiphertext };
    await this.#db.batch([upsertAppUser(this.#db, row)]);
    return row;
  }
}
