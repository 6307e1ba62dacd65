import { describe, expect, it } from "vitest";
import {
  allowance,
  breakerConfig,
  CLOSED,
  failureStats,
  outcomeOf,
  record,
  type BreakerState,
} from "../../src/provisioning/circuit-breaker";

const config = { failureRate: 0.4, minOperations: 50, probeMs: 1_000, maxProbeMs: 8_000 };

function run(outcomes: ("success" | "failure")[], start: BreakerState = CLOSED) {
  let state = start;
  const transitions: string[] = [];
  for (const outcome of outcomes) {
    const next = record(state, outcome, 0, config);
    state = next.state;
    if (next.transition) transitions.push(next.transition);
  }
  return { state, transitions };
}

const times = (n: number, value: "success" | "failure") => Array.from({ length: n }, () => value);

describe("circuit breaker", () => {
  it("stays closed below 50 operations whatever their failure rate", () => {
    expect(run(times(49, "failure")).state.state).toBe("CLOSED");
  });

  it("opens above 40% failures over 50 operations, not at exactly 40%", () => {
    const atForty = run([...times(30, "success"), ...times(20, "failure")]);
    expect(atForty.state.state).toBe("CLOSED");
    expect(failureStats(atForty.state)).toEqual({ operations: 50, failures: 20, failureRate: 0.4 });
    const above = run([...times(29, "success"), ...times(21, "failure")]);
    expect(above.state.state).toBe("OPEN");
    expect(above.transitions).toEqual(["OPENED"]);
  });

  it("judges only the last 50 operations, not the whole history", () => {
    // 41 failures in 121 operations is 34% overall, but 21 of the last 50 (42%).
    const sliding = run([...times(20, "failure"), ...times(80, "success"), ...times(21, "failure")]);
    expect(sliding.state.state).toBe("OPEN");
    const older = run([...times(20, "failure"), ...times(80, "success"), ...times(20, "failure")]);
    expect(older.state.state).toBe("CLOSED");
  });

  it("lets nothing run while open, then one probe; a good probe closes it", () => {
    const { state } = run(times(50, "failure"));
    expect(state).toMatchObject({ state: "OPEN", nextProbeAt: 1_000, trips: 1 });
    expect(allowance(state, 999).slots).toBe(0);
    const probe = allowance(state, 1_000);
    expect(probe.slots).toBe(1);
    expect(probe.state.state).toBe("HALF_OPEN");
    const closed = record(probe.state, "success", 1_100, config);
    expect(closed).toEqual({ state: CLOSED, transition: "CLOSED" });
  });

  it("doubles the wait after each failed probe, up to the cap", () => {
    let state = run(times(50, "failure")).state;
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const now = state.nextProbeAt!;
      state = record(allowance(state, now).state, "failure", now, config).state;
      waits.push(state.nextProbeAt! - now);
    }
    expect(waits).toEqual([2_000, 4_000, 8_000, 8_000, 8_000]);
  });

  it("ignores late results of runs started before it opened", () => {
    const { state } = run(times(50, "failure"));
    expect(record(state, "failure", 500, config).state).toEqual(state);
    expect(record(state, "success", 500, config).state).toEqual(state);
  });

  it("counts 5xx and no answer as failures, 4xx as the downstream being up, and ignores 429", () => {
    expect(outcomeOf(undefined)).toBe("success");
    expect(outcomeOf({ retryable: true, status: 503 })).toBe("failure");
    expect(outcomeOf({ retryable: true, status: null })).toBe("failure");
    expect(outcomeOf({ retryable: false, status: 400 })).toBe("success");
    expect(outcomeOf({ retryable: true, status: 429 })).toBe("ignored");
    expect(record(CLOSED, "ignored", 0, config).state).toBe(CLOSED);
  });

  it("reads its settings from the environment with sane defaults", () => {
    expect(breakerConfig({})).toMatchObject({ failureRate: 0.4, minOperations: 50, probeMs: 30_000 });
    expect(
      breakerConfig({ CIRCUIT_BREAKER_FAILURE_RATE: "0.5", CIRCUIT_BREAKER_MIN_OPERATIONS: "10", CIRCUIT_BREAKER_PROBE_MS: "200" }),
    ).toMatchObject({
      failureRate: 0.5,
      minOperations: 10,
      probeMs: 200,
    });
    expect(breakerConfig({ CIRCUIT_BREAKER_MIN_OPERATIONS: "nope" }).minOperations).toBe(50);
  });
});
