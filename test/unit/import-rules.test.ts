import { describe, expect, it } from "vitest";
import { DEFAULT_INBOUND } from "../../src/imports/inbound-settings";
import { autoConfirmed, flattenScimUser, oktaUsernameFor, sourcingResult } from "../../src/imports/matching";
import { DEFAULT_SAFEGUARDS, evaluateSafeguards } from "../../src/imports/safeguards";
import { isDue } from "../../src/imports/scheduler";
import { EMPTY_COUNTERS } from "../../src/coordinator/imports/session";

describe("import safeguards", () => {
  const settings = DEFAULT_SAFEGUARDS;
  it("apply at app level above 100 users and at org level from 100 assignments", () => {
    expect(evaluateSafeguards({ removals: 99, appAssigned: 100, orgAssigned: 99, settings })).toBeUndefined();
    expect(evaluateSafeguards({ removals: 21, appAssigned: 101, orgAssigned: 10_000, settings })).toMatchObject({
      level: "APP",
      limit: 20,
    });
    expect(evaluateSafeguards({ removals: 20, appAssigned: 101, orgAssigned: 10_000, settings })).toBeUndefined();
    expect(evaluateSafeguards({ removals: 21, appAssigned: 50, orgAssigned: 100, settings })).toMatchObject({ level: "ORG", limit: 20 });
  });

  it("reports whichever trips first, and the app level on equal limits", () => {
    // Okta's example: 10 apps x 100 users; org 20% = 200, app 50% = 50 for a 101-user app.
    const custom = { app: { enabled: true, percent: 50 }, org: { enabled: true, percent: 20 } };
    expect(evaluateSafeguards({ removals: 60, appAssigned: 101, orgAssigned: 1_000, settings: custom })).toMatchObject({
      level: "APP",
      limit: 50,
    });
    expect(evaluateSafeguards({ removals: 250, appAssigned: 1_000, orgAssigned: 1_000, settings: custom })).toMatchObject({
      level: "ORG",
      limit: 200,
    });
    expect(evaluateSafeguards({ removals: 300, appAssigned: 1_000, orgAssigned: 1_000, settings })).toMatchObject({
      level: "APP",
      limit: 200,
    });
    expect(
      evaluateSafeguards({
        removals: 300,
        appAssigned: 1_000,
        orgAssigned: 1_000,
        settings: { ...settings, app: { enabled: false, percent: 20 } },
      }),
    ).toMatchObject({ level: "ORG" });
  });
});

describe("import matching rules", () => {
  const scim = {
    id: "x1",
    userName: "rae@example.com",
    name: { givenName: "Rae", familyName: "Cloud" },
    emails: [{ value: "rae@corp.example", primary: true }],
    active: true,
  };
  it("flattens SCIM users and formats the Okta username", () => {
    const user = flattenScimUser(scim)!;
    expect(user).toMatchObject({
      externalId: "x1",
      userName: "rae@example.com",
      email: "rae@corp.example",
      firstName: "Rae",
      lastName: "Cloud",
      active: true,
    });
    expect(oktaUsernameFor(user, DEFAULT_INBOUND)).toBe("rae@example.com");
    const custom = {
      ...DEFAULT_INBOUND,
      importSettings: {
        ...DEFAULT_INBOUND.importSettings,
        username: { usernameFormat: "CUSTOM" as const, userNameExpression: 'String.toLowerCase(user.firstName) + "@okta.example"' },
      },
    };
    expect(oktaUsernameFor(user, custom)).toBe("rae@okta.example");
    expect(flattenScimUser({ userName: "no id" })).toBeUndefined();
  });

  it("auto-confirms per the rules and never a conflict", () => {
    const rules = {
      ...DEFAULT_INBOUND,
      importRules: { userCreateAndMatch: { ...DEFAULT_INBOUND.importRules.userCreateAndMatch, autoConfirmExactMatch: true } },
    };
    expect(["EXACT", "PARTIAL", "NEW", "CONFLICT", "UNASSIGN"].map((r) => autoConfirmed(r as never, rules))).toEqual([
      true,
      false,
      false,
      false,
      true,
    ]);
  });

  it("decides sourcing outcomes from the downstream state", () => {
    const user = flattenScimUser(scim)!;
    const sourcing = {
      status: "ENABLED" as const,
      onDeactivated: "DEACTIVATE" as const,
      reactivateSuspended: true,
      reactivateDeactivated: false,
    };
    const profile = { firstName: "Rae", lastName: "Cloud", email: "rae@corp.example" };
    expect(sourcingResult({ ...user, active: false }, { status: "ACTIVE", profile }, sourcing)).toBe("DEACTIVATED");
    expect(sourcingResult({ ...user, active: false }, { status: "ACTIVE", profile }, { ...sourcing, onDeactivated: "DO_NOTHING" })).toBe(
      "UNCHANGED",
    );
    expect(sourcingResult(user, { status: "SUSPENDED", profile }, sourcing)).toBe("REACTIVATED");
    expect(sourcingResult(user, { status: "DEPROVISIONED", profile }, sourcing)).toBe("UNCHANGED");
    expect(sourcingResult(user, { status: "ACTIVE", profile: { ...profile, lastName: "cloud" } }, sourcing)).toBe("UPDATED");
    expect(sourcingResult(user, { status: "ACTIVE", profile }, sourcing)).toBe("UNCHANGED");
  });
});

describe("import schedules", () => {
  it("is due once the next cron time in the schedule's timezone has passed", () => {
    const last = Date.parse("2026-11-22T10:30:00Z");
    // 06:00 in New York is 11:00 UTC in November (EST).
    expect(isDue("0 6 * * *", "America/New_York", last, new Date("2026-11-22T10:59:00Z"))).toBe(false);
    expect(isDue("0 6 * * *", "America/New_York", last, new Date("2026-11-22T11:00:30Z"))).toBe(true);
    expect(isDue("0 6 * * *", "UTC", last, new Date("2026-11-22T11:00:30Z"))).toBe(false);
  });
});

describe("import progress", () => {
  it("reports done/total, rate and ETA for the phase the session is in", async () => {
    const { sessionProgress } = await import("../../src/wire/imports");
    const created = new Date(Date.now() - 10_000);
    const base = {
      id: "ims1",
      appId: "0oa1",
      type: "FULL",
      trigger: "MANUAL",
      dryRun: false,
      status: "RUNNING",
      cursor: null,
      safeguard: null,
      error: null,
      created,
      lastUpdated: created,
      completed: null,
    } as const;
    const counters = { ...EMPTY_COUNTERS, fetched: 200, downstreamTotal: 1_000 };
    const fetching = sessionProgress({ ...base, phase: "FETCH", counters }, created.getTime() + 10_000);
    expect(fetching).toEqual({ phase: "FETCH", done: 200, total: 1_000, ratePerSecond: 20, etaSeconds: 40 });
    const applying = sessionProgress(
      { ...base, phase: "APPLY", counters: { ...counters, applied: 50, confirmed: 150 } },
      created.getTime() + 10_000,
    );
    expect(applying).toMatchObject({ phase: "APPLY", done: 50, total: 200, etaSeconds: 30 });
  });
});
