// A per-app circuit breaker for outbound provisioning. When the downstream keeps failing (5xx,
// timeouts, refused connections) the app stops sending for a while instead of burning every
// task's retries against a dead service; queued work waits, untouched, and one probe decides
// when to resume. 429s do not count: they are the downstream pacing us, handled by Retry-After.

export interface BreakerConfig {
  /** Fraction of failed operations in the window that opens the breaker (strictly above). */
  failureRate: number;
  /** Operations the window must hold before the rate is trusted. */
  minOperations: number;
  /** First wait before a probe; doubled on each failed probe up to maxProbeMs. */
  probeMs: number;
  maxProbeMs: number;
}

export const DEFAULT_BREAKER: BreakerConfig = { failureRate: 0.4, minOperations: 50, probeMs: 30_000, maxProbeMs: 10 * 60_000 };

export interface BreakerState {
  state: "CLOSED" | "OPEN" | "HALF_OPEN";
  /** The last minOperations outcomes, oldest first: "1" failed, "0" succeeded. */
  window: string;
  openedAt: number | null;
  nextProbeAt: number | null;
  /** Consecutive openings without a successful probe (sets the probe backoff). */
  trips: number;
}

export const CLOSED: BreakerState = { state: "CLOSED", window: "", openedAt: null, nextProbeAt: null, trips: 0 };

export type Outcome = "success" | "failure" | "ignored";

/** How a downstream answer counts for the breaker. */
export function outcomeOf(error: { retryable: boolean; status: number | null } | undefined): Outcome {
  if (!error) return "success";
  if (error.status === 429) return "ignored";
  // A refusal the downstream chose to give (4xx) means it is up; only 5xx and no answer count.
  return error.status === null || error.status >= 500 ? "failure" : "success";
}

export function failureStats(state: BreakerState): { operations: number; failures: number; failureRate: number } {
  const operations = state.window.length;
  const failures = [...state.window].filter((c) => c === "1").length;
  return { operations, failures, failureRate: operations === 0 ? 0 : failures / operations };
}

/** How many tasks may start now: all (CLOSED), one probe (due HALF_OPEN), none (OPEN). */
export function allowance(state: BreakerState, now: number): { state: BreakerState; slots: number } {
  if (state.state === "CLOSED") return { state, slots: Number.POSITIVE_INFINITY };
  if (state.state === "OPEN" && state.nextProbeAt !== null && now >= state.nextProbeAt) {
    return { state: { ...state, state: "HALF_OPEN" }, slots: 1 };
  }
  return { state, slots: 0 };
}

/** Records one operation's outcome and says whether the breaker changed state. */
export function record(
  state: BreakerState,
  outcome: Outcome,
  now: number,
  config: BreakerConfig = DEFAULT_BREAKER,
): { state: BreakerState; transition?: "OPENED" | "CLOSED" } {
  if (outcome === "ignored") return { state };
  // Runs started before the breaker opened may still report: they neither close it nor lengthen its wait.
  if (state.state === "OPEN") return { state };
  if (state.state === "HALF_OPEN") {
    // The probe decides: the downstream is back, or the wait before the next probe doubles.
    if (outcome === "success") return { state: { ...CLOSED }, transition: "CLOSED" };
    return { state: open(state, now, config) };
  }
  const window = (state.window + (outcome === "failure" ? "1" : "0")).slice(-config.minOperations);
  const next = { ...state, window };
  const { operations, failureRate } = failureStats(next);
  if (operations >= config.minOperations && failureRate > config.failureRate) {
    return { state: open({ ...next, trips: 0 }, now, config), transition: "OPENED" };
  }
  return { state: next };
}

function open(state: BreakerState, now: number, config: BreakerConfig): BreakerState {
  const trips = state.trips + 1;
  const wait = Math.min(config.probeMs * 2 ** (trips - 1), config.maxProbeMs);
  return { ...state, state: "OPEN", openedAt: state.openedAt ?? now, nextProbeAt: now + wait, trips };
}

export function breakerConfig(env: {
  CIRCUIT_BREAKER_FAILURE_RATE?: string;
  CIRCUIT_BREAKER_MIN_OPERATIONS?: string;
  CIRCUIT_BREAKER_PROBE_MS?: string;
}): BreakerConfig {
  const number = (value: string | undefined, fallback: number) =>
    value !== undefined && Number.isFinite(Number(value)) && value !== "" ? Number(value) : fallback;
  return {
    failureRate: number(env.CIRCUIT_BREAKER_FAILURE_RATE, DEFAULT_BREAKER.failureRate),
    minOperations: Math.max(1, Math.floor(number(env.CIRCUIT_BREAKER_MIN_OPERATIONS, DEFAULT_BREAKER.minOperations))),
    probeMs: Math.max(0, number(env.CIRCUIT_BREAKER_PROBE_MS, DEFAULT_BREAKER.probeMs)),
    maxProbeMs: DEFAULT_BREAKER.maxProbeMs,
  };
}
