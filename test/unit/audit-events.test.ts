import { describe, expect, it } from "vitest";
import { appUserEvents } from "../../src/audit/events";
import { redact, userRunEvents } from "../../src/audit/provisioning-events";
import { background, logEvent, logEventJson, SYSTEM_ACTOR } from "../../src/audit/system-log";
import type { AppUserRow } from "../../src/db/schema";
import type { TraceStep } from "../../src/provisioning/user-sync";

const app = { id: "0oaApp", label: "App" };
const user = { id: "00uUser", login: "ada@example.com", firstName: "Ada", lastName: "L" };
const row = (changes: Partial<AppUserRow> = {}): AppUserRow => ({
  appId: app.id,
  userId: user.id,
  scope: "USER",
  status: "ACTIVE",
  syncState: "DISABLED",
  externalId: null,
  userName: "ada",
  passwordCiphertext: null,
  profile: { a: 1 },
  overrides: {},
  created: new Date(0),
  lastUpdated: new Date(0),
  statusChanged: null,
  passwordChanged: null,
  lastSync: null,
  ...changes,
});
const cause = { reason: "test" };

describe("assignment events", () => {
  it("names an add, a remove, and each kind of update; a change of provisioning state alone is none", () => {
    const types = (before?: AppUserRow, after?: AppUserRow, passwordSet = false) =>
      appUserEvents({ app, user, before, after, passwordSet }, cause, undefined).map((e) => e.eventType);
    expect(types(undefined, row())).toEqual(["application.user_membership.add"]);
    expect(types(row(), undefined)).toEqual(["application.user_membership.remove"]);
    expect(types(row(), row({ userName: "ada2" }))).toEqual(["application.user_membership.change_username"]);
    expect(types(row(), row(), true)).toEqual(["application.user_membership.change_password"]);
    expect(types(row(), row({ scope: "GROUP" }))).toEqual(["application.user_membership.update"]);
    expect(types(row(), row({ profile: { a: 2 } }))).toEqual(["application.user_membership.update"]);
    expect(types(row(), row({ status: "PROVISIONED", syncState: "SYNCHRONIZED", lastSync: new Date() }))).toEqual([]);
  });

  it("says where a GROUP assignment comes from", () => {
    const [event] = appUserEvents(
      { app, user, before: undefined, after: row({ scope: "GROUP" }), grantGroupId: "00gTop" },
      { reason: "group deleted" },
      background({ requestId: "req1" }, "job1"),
    );
    expect(event.details).toEqual({ scope: "GROUP", source: "GROUP", groupId: "00gTop", reason: "group deleted" });
    const json = logEventJson(logEvent(event));
    expect(json).toMatchObject({
      actor: SYSTEM_ACTOR,
      transaction: { type: "JOB", id: "job1" },
      debugContext: { debugData: { requestId: "req1" } },
    });
    expect(json).not.toHaveProperty("client");
  });
});

describe("provisioning run events", () => {
  const run = (trace: TraceStep[], failure?: { reason: string; status: number | null }, outcome: "DONE" | "RETRY" | "FAILED" = "DONE") =>
    userRunEvents({
      appId: app.id,
      userId: user.id,
      user,
      trace,
      failure,
      outcome,
      taskId: "tsk1",
      audit: undefined,
      secrets: ["s3cret-token"],
    });

  it("logs each action a run completed, not the search that led to it", () => {
    const events = run([
      { step: "match", detail: "searched", status: 200 },
      { step: "create", detail: "created downstream user 7", status: 201 },
      { step: "password", detail: "pushed the password", status: 200 },
    ]);
    expect(events.map((e) => [e.eventType, e.outcome?.result])).toEqual([
      ["application.provision.user.push", "SUCCESS"],
      ["application.provision.user.push_password", "SUCCESS"],
    ]);
    expect(
      run([
        { step: "reactivate", detail: "r" },
        { step: "update", detail: "u" },
      ]).map((e) => e.eventType),
    ).toEqual(["application.provision.user.reactivate", "application.provision.user.push_profile"]);
  });

  it("logs the failed step with its reason (WARN while retried, ERROR when failed for good), redacting credentials", () => {
    const trace: TraceStep[] = [
      { step: "match", detail: "searched", status: 200 },
      { step: "create", detail: "create failed: 500", status: 500 },
    ];
    const [retried] = run(trace, { reason: "500 boom", status: 500 }, "RETRY");
    expect(retried).toMatchObject({
      eventType: "application.provision.user.push",
      severity: "WARN",
      outcome: { result: "FAILURE", reason: "500 boom (HTTP 500)" },
    });
    const [failed] = run([{ step: "deactivate", detail: "d", status: 400 }], { reason: "400 bad s3cret-token", status: 400 }, "FAILED");
    expect(failed).toMatchObject({ eventType: "application.provision.user.deactivate", severity: "ERROR" });
    expect(failed.outcome?.reason).toBe("400 bad [redacted] (HTTP 400)");
    expect(run([], { reason: "crashed", status: null }, "RETRY")[0].eventType).toBe("application.provision.user.sync");
  });

  it("logs a disabled capability as SKIPPED and nothing to do as nothing", () => {
    expect(run([{ step: "skip", detail: "Deactivate Users is disabled: the downstream account stays active" }])).toMatchObject([
      { eventType: "application.provision.user.deactivate", outcome: { result: "SKIPPED" } },
    ]);
    expect(run([{ step: "skip", detail: "not assigned and no active downstream account" }])).toEqual([]);
    expect(redact("Bearer abc123 and abc123", ["Bearer abc123", "abc123"])).toBe("[redacted] and [redacted]");
  });
});
