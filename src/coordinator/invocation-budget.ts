import { AsyncLocalStorage } from "node:async_hooks";

/**
 * What one Durable Object invocation (an RPC call, the alarm) may spend. Deployed, a Worker
 * invocation may make 1,000 D1 queries (Workers Paid); provisio keeps every invocation of its
 * coordinators well under that and ends long work early, re-arming the alarm for the rest, so
 * that requests to the same object (and, locally, the same isolate) are served in between.
 */
export const QUERY_BUDGET = 500;
/**
 * Units of work stop being started once an invocation has run this long (wall clock as of the
 * last I/O): well inside the 30 s of CPU an invocation may use. Each unit itself is sized to
 * stay under ~100 ms (a chunk of rows, a few pages), and the isolate is yielded between units.
 */
export const TIME_BUDGET_MS = 2_000;
/** Past this many queries the metered binding refuses, as Cloudflare's deployed limit would. */
export const HARD_QUERY_LIMIT = 1_000;

/**
 * One invocation's spending. Every D1 statement counts as one query, alone or inside a batch:
 * the stricter reading of "queries per invocation", so the budget holds however D1 counts a batch.
 */
export class Invocation {
  queries = 0;
  readonly started = Date.now();

  constructor(readonly kind: string) {}

  /** Whether a unit of work needing up to `queries` queries still fits, in count and in time. */
  affords(queries: number, budget = QUERY_BUDGET): boolean {
    return this.queries + queries <= budget && Date.now() - this.started < TIME_BUDGET_MS;
  }

  /** Whether `queries` more fit, whatever the time (for work that must finish once started). */
  fits(queries: number, budget = QUERY_BUDGET): boolean {
    return this.queries + queries <= budget;
  }
}

export interface InvocationStats {
  invocations: number;
  maxQueries: number;
  maxQueriesKind: string | null;
  maxDurationMs: number;
  maxDurationKind: string | null;
  budget: number;
}

const current = new AsyncLocalStorage<Invocation>();

/** The invocation the calling code runs in (undefined outside any). */
export function currentInvocation(): Invocation | undefined {
  return current.getStore();
}

/**
 * Runs `work` as one invocation, with its own query count; nested calls (an RPC method calling
 * another helper that also opens one) keep the outer invocation, as the runtime would.
 */
export class InvocationMeter {
  #stats: InvocationStats = {
    invocations: 0,
    maxQueries: 0,
    maxQueriesKind: null,
    maxDurationMs: 0,
    maxDurationKind: null,
    budget: QUERY_BUDGET,
  };

  async run<T>(kind: string, work: (invocation: Invocation) => Promise<T>): Promise<T> {
    const outer = current.getStore();
    if (outer) return work(outer);
    const invocation = new Invocation(kind);
    try {
      return await current.run(invocation, () => work(invocation));
    } finally {
      this.#record(invocation);
    }
  }

  stats(): InvocationStats {
    return { ...this.#stats };
  }

  #record(invocation: Invocation): void {
    const stats = this.#stats;
    const duration = Date.now() - invocation.started;
    stats.invocations += 1;
    if (invocation.queries > stats.maxQueries) {
      stats.maxQueries = invocation.queries;
      stats.maxQueriesKind = invocation.kind;
    }
    if (duration > stats.maxDurationMs) {
      stats.maxDurationMs = duration;
      stats.maxDurationKind = invocation.kind;
    }
    if (invocation.queries > QUERY_BUDGET) {
      console.error(
        JSON.stringify({
          event: "coordinator.query_budget_exceeded",
          kind: invocation.kind,
          queries: invocation.queries,
          budget: QUERY_BUDGET,
        }),
      );
    }
  }
}

function spend(statements: number): void {
  const invocation = current.getStore();
  if (!invocation) return;
  invocation.queries += statements;
  if (invocation.queries > HARD_QUERY_LIMIT) {
    throw new Error(`${invocation.kind}: more than ${HARD_QUERY_LIMIT} D1 queries in one invocation (Cloudflare's limit)`);
  }
}

/**
 * A D1 binding that counts every statement it runs against the invocation it runs in. The
 * statements it prepares are the binding's own, wrapped; a batch unwraps them again.
 */
export function meteredD1(d1: D1Database): D1Database {
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => new MeteredStatement(statement) as unknown as D1PreparedStatement;
  return {
    prepare: (query: string) => wrap(d1.prepare(query)),
    batch: <T = unknown>(statements: D1PreparedStatement[]) => {
      spend(statements.length);
      return d1.batch<T>(statements.map(unwrap));
    },
    exec: (query: string) => {
      spend(query.split(";").filter((part) => part.trim() !== "").length);
      return d1.exec(query);
    },
    dump: () => d1.dump(),
    withSession: (constraint?: D1SessionBookmark | D1SessionConstraint) => d1.withSession(constraint),
  } as D1Database;
}

class MeteredStatement {
  constructor(readonly inner: D1PreparedStatement) {}

  bind(...values: unknown[]): MeteredStatement {
    return new MeteredStatement(this.inner.bind(...values));
  }

  first<T = unknown>(column?: string): Promise<T | null> {
    spend(1);
    return column === undefined ? this.inner.first<T>() : this.inner.first<T>(column);
  }

  run<T = unknown>(): Promise<D1Result<T>> {
    spend(1);
    return this.inner.run<T>();
  }

  all<T = unknown>(): Promise<D1Result<T>> {
    spend(1);
    return this.inner.all<T>();
  }

  raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[]> {
    spend(1);
    return this.inner.raw<T>(options as { columnNames: true }) as Promise<T[]>;
  }
}

function unwrap(statement: D1PreparedStatement): D1PreparedStatement {
  return statement instanceof MeteredStatement ? statement.inner : statement;
}

/**
 * Lets every other event waiting on the isolate (requests to this object and, locally, to the
 * whole Worker) run before the next unit of work: a macrotask turn, not a microtask.
 */
export function yieldToOthers(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
