import { background, type AuditContext } from "../audit/system-log";
import type { AssignmentCause } from "../audit/events";
import type { DB } from "../db/client";
import { otherAppsOf } from "../db/queries/bulk-lookups";
import type { ImportStore, OutboxEntry } from "./import-store";

/** Users told to other apps per drain (each app's coordinator reconciles them in one call). */
export const FOLLOW_UP_CHUNK = 500;
/** D1 queries a drain step may issue here (the other apps' reconciles are their own invocations). */
export const FOLLOW_UP_QUERIES = 2;

/** Reconciles users' assignments in another app (that app's coordinator, over RPC). */
export type ReconcileElsewhere = (appId: string, userIds: string[], audit: AuditContext, cause: AssignmentCause) => Promise<void>;

/**
 * The outbox of users whose Okta profile or status this app's import changed: every other app
 * that assigns them (directly or through a group) must reconcile them. Entries are written to
 * the coordinator's storage before the change itself lands in D1, and removed only once every
 * other app has answered, so a failed call, a failed invocation or an eviction delays the
 * follow-up but never loses it (reconciling is idempotent). Calls to other coordinators run
 * outside this one's critical section, so two coordinators can never wait on each other.
 */
export class FollowUps {
  constructor(
    private readonly deps: {
      db: DB;
      imports: ImportStore;
      appId: () => Promise<string | undefined>;
      reconcileElsewhere: ReconcileElsewhere;
    },
  ) {}

  due(now = Date.now()): boolean {
    const next = this.deps.imports.nextOutboxAt();
    return next !== undefined && next <= now;
  }

  nextAt(): number | undefined {
    return this.deps.imports.nextOutboxAt();
  }

  /** Tells the other apps of one chunk of due users; returns whether more are due. */
  async drainChunk(): Promise<boolean> {
    const { imports } = this.deps;
    const self = await this.deps.appId();
    const entries = imports.dueOutbox(Date.now(), FOLLOW_UP_CHUNK);
    if (!self || entries.length === 0) return false;
    const byApp = await otherAppsOf(
      this.deps.db,
      entries.map((entry) => entry.userId),
      self,
    );
    const requestOf = new Map(entries.map((entry) => [entry.userId, entry.requestId ?? undefined]));
    const calls = [...byApp].flatMap(([appId, userIds]) =>
      // One call per app and request behind the change: the follow-up is that request's doing.
      [...groupBy(userIds, (userId) => requestOf.get(userId))].map(([requestId, ids]) => ({ appId, requestId, userIds: ids })),
    );
    const failed = new Set<string>();
    await Promise.all(
      calls.map(async ({ appId, requestId, userIds }) => {
        try {
          await this.deps.reconcileElsewhere(appId, userIds, background(requestId ? { requestId } : undefined), {
            reason: "import changed the Okta user",
          });
        } catch (error) {
          console.error(
            JSON.stringify({
              event: "import.follow_up_failed",
              appId: self,
              otherAppId: appId,
              users: userIds.length,
              reason: error instanceof Error ? error.message : String(error),
            }),
          );
          for (const userId of userIds) failed.add(userId);
        }
      }),
    );
    const [done, again] = partition(entries, (entry) => !failed.has(entry.userId));
    imports.removeFromOutbox(done);
    imports.retryOutbox(again, retryDelay);
    return entries.length === FOLLOW_UP_CHUNK;
  }
}

/** 1 s, doubling to at most 5 minutes. */
function retryDelay(attempts: number): number {
  return Math.min(300_000, 1_000 * 2 ** Math.min(attempts - 1, 9));
}

function groupBy<T, K>(values: T[], keyOf: (value: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const value of values) out.set(keyOf(value), [...(out.get(keyOf(value)) ?? []), value]);
  return out;
}

function partition(entries: OutboxEntry[], keep: (entry: OutboxEntry) => boolean): [OutboxEntry[], OutboxEntry[]] {
  const yes: OutboxEntry[] = [];
  const no: OutboxEntry[] = [];
  for (const entry of entries) (keep(entry) ? yes : no).push(entry);
  return [yes, no];
}
