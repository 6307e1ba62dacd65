/**
 * Work on many assignments at once (a group assigned or unassigned, a mapping changed) runs as
 * jobs kept in the coordinator's own storage, a chunk per invocation, continued by its alarm.
 * A job survives eviction; re-running a chunk is harmless because reconciling is idempotent.
 */
export interface FanOutJob {
  id: string;
  /**
   * group-members: every member of one group; app-users: every assignment of the app;
   * provision: every assignment without a downstream account (Provision Users).
   */
  kind: "group-members" | "app-users" | "provision";
  groupId?: string;
  /** app-users only: restrict to group-controlled assignments. */
  scope?: "GROUP";
  /** app-users only: attributes removed from the app-user schema. */
  dropAttributes?: string[];
  reason: string;
  /** The request that started the job (its events carry its id), when one did. */
  origin?: { requestId?: string; initiatedBy?: string };
  cursor: string | null;
  done: number;
  total: number;
  startedAt: number;
  updatedAt: number;
}

const JOBS_KEY = "fan-out-jobs";

export class JobStore {
  constructor(private readonly storage: DurableObjectStorage) {}

  async list(): Promise<FanOutJob[]> {
    return (await this.storage.get<FanOutJob[]>(JOBS_KEY)) ?? [];
  }

  async save(jobs: FanOutJob[]): Promise<void> {
    if (jobs.length === 0) await this.storage.delete(JOBS_KEY);
    else await this.storage.put(JOBS_KEY, jobs);
  }

  /** Queues a job unless an identical one is still waiting to start. */
  async enqueue(job: Omit<FanOutJob, "id" | "cursor" | "done" | "startedAt" | "updatedAt">): Promise<void> {
    const jobs = await this.list();
    const same = (a?: string[], b?: string[]) => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
    const waiting = jobs.some(
      (j) =>
        j.cursor === null &&
        j.kind === job.kind &&
        j.groupId === job.groupId &&
        j.scope === job.scope &&
        same(j.dropAttributes, job.dropAttributes),
    );
    if (waiting) return;
    const now = Date.now();
    jobs.push({ ...job, id: crypto.randomUUID(), cursor: null, done: 0, startedAt: now, updatedAt: now });
    await this.save(jobs);
  }

  async clear(): Promise<void> {
    await this.storage.delete(JOBS_KEY);
  }
}

/** Progress as operators read it: done/total, rate and an estimate of what is left. */
export function progressOf(job: FanOutJob, now = Date.now()) {
  const seconds = Math.max((now - job.startedAt) / 1000, 0.001);
  const rate = job.done / seconds;
  const remaining = Math.max(job.total - job.done, 0);
  return {
    id: job.id,
    kind: job.kind,
    groupId: job.groupId ?? null,
    reason: job.reason,
    status: job.cursor === null && job.done === 0 ? "QUEUED" : "RUNNING",
    done: job.done,
    total: job.total,
    ratePerSecond: Math.round(rate * 10) / 10,
    etaSeconds: rate > 0 ? Math.ceil(remaining / rate) : null,
    started: new Date(job.startedAt).toISOString(),
    lastUpdated: new Date(job.updatedAt).toISOString(),
  };
}
