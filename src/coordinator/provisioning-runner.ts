import { open } from "../crypto/secret-box";
import type { DB } from "../db/client";
import { getAppUser } from "../db/queries/app-users";
import { getPushMapping, pushCandidates, pushMappingsForUser, updatePushMapping } from "../db/queries/group-push";
import { getGroup } from "../db/queries/groups";
import { setProvisioningState } from "../db/queries/provisioning";
import { getUser } from "../db/queries/users";
import { pushGroup } from "../provisioning/group-push";
import { Pacer } from "../provisioning/pacer";
import { retryDelay } from "../provisioning/retry-policy";
import { allowance, breakerConfig, failureStats, outcomeOf, record, type BreakerState } from "../provisioning/circuit-breaker";
import { ScimClient } from "../provisioning/scim-client";
import type { ProvisioningSettings } from "../provisioning/settings";
import { syncUser, type TraceStep } from "../provisioning/user-sync";
import { loadRules } from "./assignment-store";
import type { ProvisioningStore, TaskRow } from "./provisioning-store";
import type { SerialQueue } from "./serial-queue";
import { background, writeLog, type AuditContext } from "../audit/system-log";
import { groupRunEvents, userRunEvents } from "../audit/provisioning-events";
import type { TaskOrigin } from "./task-origins";
import type { Invocation } from "./invocation-budget";

/** How many downstream tasks run at once for one app (each still waits for the pacer). */
const CONCURRENCY = 8;
/** The most D1 queries one task's run makes (snapshot, outcome, System Log, breaker log). */
export const TASK_QUERIES = 10;

type Failure = { retryable: boolean; retryAfterMs?: number; reason: string; status: number | null };

export interface RunReport {
  taskId: string;
  subject: string;
  outcome: "DONE" | "RETRY" | "FAILED";
  trace: TraceStep[];
  error?: string;
}

interface Deps {
  db: DB;
  env: Env;
  store: ProvisioningStore;
  queue: SerialQueue;
  appId: () => Promise<string | undefined>;
  settings: () => Promise<ProvisioningSettings>;
  /** The request that last gave a subject work, for the System Log events of its runs. */
  origin?: (subject: string) => TaskOrigin | undefined;
  /** False once the app is deleted: nothing more is claimed, and runs in flight record nothing. */
  active?: () => boolean;
}

/**
 * Drains an app's outbound tasks. Each run claims its task and reads a snapshot inside the
 * coordinator's critical section, calls the downstream outside it (so a slow app never stalls
 * assignment changes), and records the outcome inside it again.
 */
export class ProvisioningRunner {
  #pacer = new Pacer(25);
  #patchSupported: Promise<boolean> | undefined;

  constructor(private readonly deps: Deps) {}

  #active(): boolean {
    return this.deps.active?.() ?? true;
  }

  /** The connection changed: forget what was learnt about the downstream. */
  reset(): void {
    this.#patchSupported = undefined;
  }

  /**
   * Runs due tasks until none is left, the deadline passes, the invocation's D1 budget cannot
   * afford another task (each in flight reserves TASK_QUERIES), or the app is deleted:
   * CONCURRENCY workers, each claiming the next task as soon as its last one is recorded,
   * so one slow downstream call does not hold back the others.
   */
  async drain(deadline: number, invocation: Invocation): Promise<void> {
    const current = () => this.#active();
    const { queue, store } = this.deps;
    let inFlight = 0;
    const worker = async () => {
      for (;;) {
        const settings = await this.deps.settings();
        if (!settings.connection || Date.now() >= deadline || !current()) return;
        if (!invocation.fits((inFlight + 1) * TASK_QUERIES)) return;
        this.#pacer.setRate(settings.requestsPerSecond);
        inFlight++;
        try {
          const [task] = await queue.run(async () => {
            if (!current()) return [];
            // While the breaker is open nothing is claimed: tasks keep their place and their attempts.
            // Half-open, the one worker that takes the probe moves it on, so no other gets a slot.
            const breaker = store.breaker();
            const { state, slots } = allowance(breaker, Date.now());
            if (state !== breaker) store.saveBreaker(state);
            return slots === 0 ? [] : store.claimDue(Date.now(), 1);
          });
          if (!task) return;
          await this.run(task, settings);
        } finally {
          inFlight--;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }

  /** When the queue next has work it may start: the next due task, but not before a probe is allowed. */
  nextRunAt(): number | undefined {
    const due = this.deps.store.nextDueAt();
    const breaker = this.deps.store.breaker();
    if (due === undefined || breaker.state === "CLOSED") return due;
    return Math.max(due, breaker.nextProbeAt ?? due);
  }

  breakerStatus(now = Date.now()) {
    const state = this.deps.store.breaker();
    return { ...describeBreaker(state), config: breakerConfig(this.deps.env), now };
  }

  /** An administrator closes the breaker by hand (the downstream is known to be back). */
  async resetBreaker(): Promise<void> {
    const before = this.deps.store.breaker();
    this.deps.store.saveBreaker({ state: "CLOSED", window: "", openedAt: null, nextProbeAt: null, trips: 0 });
    if (before.state !== "CLOSED") await this.#logBreaker("CLOSED", before, "closed by an administrator");
  }

  /** Counts one downstream answer towards the breaker; inside the critical section. */
  async #noteHealth(error: Failure | undefined): Promise<void> {
    const { store } = this.deps;
    const before = store.breaker();
    const { state, transition } = record(before, outcomeOf(error), Date.now(), breakerConfig(this.deps.env));
    if (state !== before) store.saveBreaker(state);
    if (transition) await this.#logBreaker(transition, transition === "OPENED" ? state : before, error?.reason);
  }

  async #logBreaker(transition: "OPENED" | "CLOSED", state: BreakerState, reason: string | undefined): Promise<void> {
    const appId = await this.deps.appId();
    const stats = failureStats(state);
    const detail = { ...stats, nextProbeAt: state.nextProbeAt ? new Date(state.nextProbeAt).toISOString() : null };
    console.log(JSON.stringify({ event: `provisioning.circuit_${transition.toLowerCase()}`, appId, ...detail }));
    await writeLog(this.deps.db, [
      {
        eventType: transition === "OPENED" ? "system.provisioning.circuit_breaker.open" : "system.provisioning.circuit_breaker.close",
        severity: transition === "OPENED" ? "WARN" : "INFO",
        displayMessage:
          transition === "OPENED"
            ? `Provisioning paused: ${stats.failures} of the last ${stats.operations} downstream calls failed`
            : "Provisioning resumed: the downstream answers again",
        outcome: { result: transition === "OPENED" ? "FAILURE" : "SUCCESS", ...(reason ? { reason: reason.slice(0, 200) } : {}) },
        target: appId ? [{ id: appId, type: "AppInstance" }] : [],
        details: detail,
      },
    ]);
  }

  /**
   * Runs one claimed task to its recorded outcome; never leaves it claimed. Its System Log
   * events carry `audit` (provision on demand) or, as background work, the task's origin.
   */
  async run(task: TaskRow, settings: ProvisioningSettings, audit?: AuditContext): Promise<RunReport> {
    const appId = await this.deps.appId();
    const log = { audit: audit ?? background(this.deps.origin?.(task.subject), task.id), secrets: secretsOf(settings) };
    try {
      if (!appId || !settings.connection) throw new Error("provisioning is not configured for this app");
      const scim = new ScimClient(settings.connection, async (input, init) => {
        await this.#pacer.take();
        return fetch(input, init);
      });
      const [kind, id] = splitSubject(task.subject);
      if (kind === "user") return await this.#runUser(appId, id, task, scim, settings, log);
      if (kind === "group") return await this.#runGroup(appId, id, task, scim, log);
      return await this.#runGroupDelete(appId, id, task, scim, log);
    } catch (error) {
      // An unexpected failure is treated like a server error: retried with backoff.
      const reason = error instanceof Error ? error.message : String(error);
      console.error(JSON.stringify({ event: "provisioning.task_crashed", taskId: task.id, subject: task.subject, reason }));
      const outcome = await this.deps.queue.run(async () => this.#retryOrFail(task, { retryable: true, reason, status: null }));
      const [kind, id] = splitSubject(task.subject);
      if (appId && kind === "user") {
        const failure = { reason, status: null };
        await writeLog(
          this.deps.db,
          userRunEvents({ appId, userId: id, user: undefined, trace: [], failure, outcome, taskId: task.id, ...log }),
        );
      }
      return { taskId: task.id, subject: task.subject, outcome, trace: [], error: reason };
    }
  }

  async #runUser(
    appId: string,
    userId: string,
    task: TaskRow,
    scim: ScimClient,
    settings: ProvisioningSettings,
    log: RunLog,
  ): Promise<RunReport> {
    const { db, store, queue, env } = this.deps;
    const snapshot = await queue.run(async () => {
      const [appUser, user, rules] = await Promise.all([getAppUser(db, appId, userId), getUser(db, userId), loadRules(db, appId)]);
      const password = task.password_box ? await open(env.CREDENTIALS_KEY, task.password_box) : null;
      return { appUser, user, rules, link: store.getLink(userId), pushedGroups: store.pushedGroupsOf(userId), password };
    });
    const result = await syncUser(scim, {
      appUser: snapshot.appUser,
      user: snapshot.user,
      link: snapshot.link,
      mode: settings.mode,
      attributes: snapshot.rules.attributes,
      password: snapshot.password,
      pushedGroups: snapshot.pushedGroups,
      patchSupported: () => this.#supportsPatch(scim),
    });
    const outcome = await queue.run(async () => {
      // The app was deleted while the downstream answered: nothing is left to record it on.
      if (!this.#active()) return "DONE" as const;
      const wasActive = snapshot.link?.active ?? false;
      store.saveLink(userId, result.link);
      for (const mappingId of result.leftGroups) store.setPushed(mappingId, "", userId, false);
      const now = new Date();
      await this.#noteHealth(result.error);
      if (result.error) {
        const next = await this.#retryOrFail(task, result.error);
        if (next === "FAILED") await setProvisioningState(db, appId, userId, { syncState: "ERROR", lastUpdated: now });
        return next;
      }
      store.complete(task, result.passwordDelivered);
      if (result.synced && result.link?.active && snapshot.appUser) {
        await setProvisioningState(db, appId, userId, {
          status: "PROVISIONED",
          syncState: "SYNCHRONIZED",
          externalId: result.link.externalId,
          lastSync: now,
          lastUpdated: now,
        });
      }
      // A user who gained or lost a downstream account changes who Group Push should push.
      if ((result.link?.active ?? false) !== wasActive) {
        for (const mappingId of await pushMappingsForUser(db, appId, userId)) store.enqueue(`group:${mappingId}`);
      }
      return "DONE" as const;
    });
    const { trace, error: failure } = result;
    const secrets = [...log.secrets, snapshot.password];
    if (this.#active())
      await writeLog(db, userRunEvents({ appId, userId, user: snapshot.user, trace, failure, outcome, taskId: task.id, ...log, secrets }));
    return { taskId: task.id, subject: task.subject, outcome, trace: result.trace, error: result.error?.reason };
  }

  async #runGroup(appId: string, mappingId: string, task: TaskRow, scim: ScimClient, log: RunLog): Promise<RunReport> {
    const { db, store, queue } = this.deps;
    const snapshot = await queue.run(async () => {
      const mapping = await getPushMapping(db, appId, mappingId);
      if (!mapping) return undefined;
      const [group, candidates] = await Promise.all([
        getGroup(db, mapping.sourceGroupId),
        pushCandidates(db, appId, mapping.sourceGroupId),
      ]);
      const desired = store.activeLinks(candidates);
      const pushed = store.pushedMembers(mappingId);
      const externalIds = new Map([...pushed].map((userId) => [userId, store.getLink(userId)?.externalId]));
      return { mapping, name: mapping.targetGroupName ?? group?.name ?? mapping.sourceGroupId, desired, pushed, externalIds };
    });
    if (!snapshot) {
      await queue.run(async () => store.complete(task, false));
      return {
        taskId: task.id,
        subject: task.subject,
        outcome: "DONE",
        trace: [{ step: "skip", detail: "the push mapping no longer exists" }],
      };
    }
    const result = await pushGroup(scim, {
      mappingId,
      status: snapshot.mapping.status === "ERROR" ? "ACTIVE" : snapshot.mapping.status,
      targetGroupId: snapshot.mapping.targetGroupId,
      targetGroupName: snapshot.name,
      desired: snapshot.desired,
      pushed: snapshot.pushed,
      externalIdOf: (userId) => snapshot.externalIds.get(userId),
    });
    const outcome = await queue.run(async () => {
      if (!this.#active()) return "DONE" as const;
      const target = result.targetGroupId ?? "";
      for (const userId of result.added) store.setPushed(mappingId, target, userId, true);
      for (const userId of result.removed) store.setPushed(mappingId, target, userId, false);
      const now = new Date();
      await this.#noteHealth(result.error);
      if (result.error) {
        const next = await this.#retryOrFail(task, result.error);
        await updatePushMapping(db, mappingId, {
          targetGroupId: result.targetGroupId,
          ...(next === "FAILED" ? { status: "ERROR" as const } : {}),
          errorSummary: result.error.reason,
          lastUpdated: now,
        });
        return next;
      }
      store.complete(task, false);
      if (snapshot.mapping.status !== "INACTIVE") {
        await updatePushMapping(db, mappingId, {
          targetGroupId: result.targetGroupId,
          status: "ACTIVE",
          errorSummary: null,
          lastPush: now,
          lastUpdated: now,
        });
      }
      return "DONE" as const;
    });
    await writeLog(
      db,
      groupRunEvents({
        appId,
        kind: "push",
        mappingId,
        sourceGroupId: snapshot.mapping.sourceGroupId,
        targetGroupId: result.targetGroupId,
        trace: result.trace,
        added: result.added.length,
        removed: result.removed.length,
        failure: result.error,
        outcome,
        taskId: task.id,
        ...log,
      }),
    );
    return { taskId: task.id, subject: task.subject, outcome, trace: result.trace, error: result.error?.reason };
  }

  async #runGroupDelete(appId: string, targetGroupId: string, task: TaskRow, scim: ScimClient, log: RunLog): Promise<RunReport> {
    const deleted = await scim.request("DELETE", `/Groups/${targetGroupId}`);
    const trace: TraceStep[] = [
      {
        step: "update",
        detail: deleted.ok ? `deleted downstream group ${targetGroupId}` : `deleting ${targetGroupId}: ${deleted.reason}`,
        status: deleted.status,
      },
    ];
    const outcome = await this.deps.queue.run(async () => {
      if (!this.#active()) return "DONE" as const;
      await this.#noteHealth(deleted.ok ? undefined : deleted);
      if (deleted.ok || deleted.status === 404) {
        this.deps.store.complete(task, false);
        return "DONE" as const;
      }
      return this.#retryOrFail(task, deleted);
    });
    const failure = deleted.ok || deleted.status === 404 ? undefined : deleted;
    await writeLog(
      this.deps.db,
      groupRunEvents({ appId, kind: "delete", targetGroupId, trace, added: 0, removed: 0, failure, outcome, taskId: task.id, ...log }),
    );
    return { taskId: task.id, subject: task.subject, outcome, trace };
  }

  /** 429, 5xx and network errors wait and retry (up to the attempt cap); other errors fail at once. */
  async #retryOrFail(task: TaskRow, error: Failure): Promise<"RETRY" | "FAILED"> {
    const { store, env } = this.deps;
    if (!error.retryable) {
      store.fail(task, error.reason, error.status);
      return "FAILED";
    }
    const delay = retryDelay(error, task.attempts + 1, {
      baseMs: Number(env.DOWNSTREAM_RETRY_BASE_MS) || 2_000,
      default429Ms: Number(env.DOWNSTREAM_429_DEFAULT_MS) || undefined,
    });
    return store.retryLater(task, delay, error.reason, error.status);
  }

  /** Whether the downstream takes PATCH (its ServiceProviderConfig), asked once per connection. */
  #supportsPatch(scim: ScimClient): Promise<boolean> {
    this.#patchSupported ??= scim.serviceProviderConfig().then((spc) => {
      if (!spc.ok) {
        this.#patchSupported = undefined;
        return false;
      }
      return spc.body.patch?.supported === true;
    });
    return this.#patchSupported;
  }
}

type RunLog = { audit: AuditContext; secrets: string[] };

/** What a downstream's answer must never be logged with: the connection's credentials. */
function secretsOf(settings: ProvisioningSettings): string[] {
  const authorization = settings.connection?.authorization;
  return authorization ? [authorization, authorization.replace(/^\S+\s+/, "")] : [];
}

function splitSubject(subject: string): ["user" | "group" | "group-delete", string] {
  const at = subject.indexOf(":");
  return [subject.slice(0, at) as "user" | "group" | "group-delete", subject.slice(at + 1)];
}

/** The breaker as the API shows it. */
export function describeBreaker(state: BreakerState) {
  const stats = failureStats(state);
  return {
    state: state.state,
    operations: stats.operations,
    failures: stats.failures,
    failureRate: Math.round(stats.failureRate * 1000) / 1000,
    openedAt: state.openedAt && state.state !== "CLOSED" ? new Date(state.openedAt).toISOString() : null,
    nextProbeAt: state.nextProbeAt && state.state !== "CLOSED" ? new Date(state.nextProbeAt).toISOString() : null,
  };
}
