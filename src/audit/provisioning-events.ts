import type { CredentialTestResult } from "../provisioning/credential-check";
import type { TraceStep } from "../provisioning/user-sync";
import { appTarget, userTarget } from "./events";
import type { AuditContext, LogEventInput, LogTarget } from "./system-log";

// System Log events for outbound provisioning runs (Okta's application.provision.* types): one
// per downstream action a run took or failed at, derived from the run's trace.

type UserRef = Parameters<typeof userTarget>[0];

export type RunOutcome = "DONE" | "RETRY" | "FAILED";

export interface RunFailure {
  reason: string;
  status: number | null;
}

const USER_EVENTS = {
  push: ["application.provision.user.push", "Push new user to external application"],
  push_profile: ["application.provision.user.push_profile", "Push user profile update to external application"],
  push_password: ["application.provision.user.push_password", "Push user's application password to external application"],
  reactivate: ["application.provision.user.reactivate", "Reactivate user in external application"],
  deactivate: ["application.provision.user.deactivate", "Deactivate user in external application"],
  sync: ["application.provision.user.sync", "Sync user to external application"],
} as const;
type UserAction = keyof typeof USER_EVENTS;

/** Which Okta action a trace step belongs to; undefined for steps that are not one on their own. */
function actionOf(step: TraceStep): UserAction | undefined {
  switch (step.step) {
    case "match":
    case "create":
    case "link":
      return "push";
    case "reactivate":
      return "reactivate";
    case "update":
      return "push_profile";
    case "password":
      return "push_password";
    case "leave-group":
    case "deactivate":
      return "deactivate";
    case "skip":
      // A capability that is off is a decision worth recording; "nothing to do" is not.
      if (step.detail.startsWith("Create Users")) return "push";
      if (step.detail.startsWith("Deactivate Users")) return "deactivate";
      if (step.detail.startsWith("Sync Password")) return "push_password";
      return undefined;
  }
}

/** Replaces any of `secrets` in a downstream's answer (which may echo what it was sent). */
export function redact(text: string, secrets: (string | null | undefined)[]): string {
  let out = text;
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join("[redacted]");
  return out;
}

/**
 * Events for one user's provisioning run. Each action that completed is a SUCCESS, a disabled
 * capability SKIPPED, and the step the run failed at a FAILURE with the downstream's reason
 * (severity WARN while it will be retried, ERROR when it failed for good).
 */
export function userRunEvents(input: {
  appId: string;
  userId: string;
  user: UserRef | undefined;
  trace: TraceStep[];
  failure: RunFailure | undefined;
  outcome: RunOutcome;
  taskId: string;
  audit: AuditContext | undefined;
  secrets: (string | null | undefined)[];
}): LogEventInput[] {
  const { trace, failure } = input;
  const target: LogTarget[] = [appTarget(input.appId), input.user ? userTarget(input.user) : userTarget(input.userId)];
  const event = (action: UserAction, outcome: LogEventInput["outcome"], details: Record<string, unknown>, severity?: "WARN" | "ERROR") =>
    runEvent(USER_EVENTS[action], input, target, outcome, details, severity);
  const failedAt = failure ? trace.length - 1 : -1;
  const done = new Map<UserAction, { step: TraceStep }>();
  const events: LogEventInput[] = [];
  trace.forEach((step, i) => {
    if (i === failedAt) return;
    const action = actionOf(step);
    if (!action) return;
    if (step.step === "skip") {
      events.push(event(action, { result: "SKIPPED", reason: step.detail }, { detail: step.detail }));
      return;
    }
    // A search, a 409 or leaving pushed groups lead up to the action; the last step names it.
    if (step.step !== "match" && step.step !== "leave-group") done.set(action, { step });
  });
  for (const [action, { step }] of done) {
    events.push(event(action, { result: "SUCCESS" }, { detail: redact(step.detail, input.secrets), ...statusOf(step) }));
  }
  if (failure) {
    const step = failedAt >= 0 ? trace[failedAt] : undefined;
    const action = (step && actionOf(step)) ?? "sync";
    const reason = redact(`${failure.reason}${failure.status ? ` (HTTP ${failure.status})` : ""}`, input.secrets);
    const retrying = input.outcome === "RETRY";
    events.push(
      event(
        action,
        { result: "FAILURE", reason },
        { retrying, ...(step ? { detail: redact(step.detail, input.secrets) } : {}), ...statusOf(step) },
        retrying ? "WARN" : "ERROR",
      ),
    );
  }
  return events;
}

function statusOf(step: TraceStep | undefined) {
  return step?.status !== undefined && step.status !== null ? { downstreamStatus: step.status } : {};
}

const GROUP_EVENTS = {
  pushed: ["application.provision.group_push.pushed", "Push group to external application"],
  push_memberships: ["application.provision.group_push.push_memberships", "Push group memberships to external application"],
  removed: ["application.provision.group_push.removed", "Remove pushed group from external application"],
} as const;

/** Events for a Group Push run (or the deletion of a downstream group). */
export function groupRunEvents(input: {
  appId: string;
  kind: "push" | "delete";
  mappingId?: string;
  sourceGroupId?: string;
  targetGroupId: string | null;
  trace: TraceStep[];
  added: number;
  removed: number;
  failure: RunFailure | undefined;
  outcome: RunOutcome;
  taskId: string;
  audit: AuditContext | undefined;
  secrets: (string | null | undefined)[];
}): LogEventInput[] {
  const target: LogTarget[] = [
    appTarget(input.appId),
    ...(input.sourceGroupId ? [{ id: input.sourceGroupId, type: "UserGroup" as const }] : []),
    ...(input.mappingId ? [{ id: input.mappingId, type: "GroupPushMapping" as const }] : []),
  ];
  const event = (
    key: keyof typeof GROUP_EVENTS,
    outcome: LogEventInput["outcome"],
    details: Record<string, unknown>,
    severity?: "WARN" | "ERROR",
  ) =>
    runEvent(
      GROUP_EVENTS[key],
      input,
      target,
      outcome,
      { ...(input.targetGroupId ? { targetGroupId: input.targetGroupId } : {}), ...details },
      severity,
    );
  const failure = input.failure;
  if (input.kind === "delete") {
    return failure
      ? [
          event(
            "removed",
            { result: "FAILURE", reason: redact(failure.reason, input.secrets) },
            {},
            input.outcome === "RETRY" ? "WARN" : "ERROR",
          ),
        ]
      : [event("removed", { result: "SUCCESS" }, {})];
  }
  const events: LogEventInput[] = [];
  const created = input.trace.find((s) => (s.step === "create" || s.step === "link") && !(failure && s === input.trace.at(-1)));
  if (created) events.push(event("pushed", { result: "SUCCESS" }, { detail: created.detail }));
  if (failure) {
    events.push(
      event(
        "push_memberships",
        { result: "FAILURE", reason: redact(`${failure.reason}${failure.status ? ` (HTTP ${failure.status})` : ""}`, input.secrets) },
        { added: input.added, removed: input.removed, retrying: input.outcome === "RETRY" },
        input.outcome === "RETRY" ? "WARN" : "ERROR",
      ),
    );
  } else if (input.added + input.removed > 0) {
    events.push(event("push_memberships", { result: "SUCCESS" }, { added: input.added, removed: input.removed }));
  }
  return events;
}

/** One event of a provisioning run: its type and message, the run's audit context, task and targets. */
function runEvent(
  [eventType, displayMessage]: readonly [string, string],
  run: { audit: AuditContext | undefined; taskId: string },
  target: LogTarget[],
  outcome: LogEventInput["outcome"],
  details: Record<string, unknown>,
  severity?: "WARN" | "ERROR",
): LogEventInput {
  return {
    eventType,
    displayMessage,
    audit: run.audit,
    outcome,
    ...(severity ? { severity } : {}),
    target,
    details: { taskId: run.taskId, ...details },
  };
}

/**
 * application.provision.integration.call_api for Test API Credentials: each check's HTTP status
 * and classification, and the same redacted detail the API answered; never a body.
 */
export function credentialTestEvent(
  app: { id: string; label: string },
  baseUrl: string,
  result: CredentialTestResult,
  audit: AuditContext | undefined,
): LogEventInput {
  const failed = result.status === "FAILURE";
  return {
    eventType: "application.provision.integration.call_api",
    displayMessage: "Test API credentials of the provisioning connection",
    audit,
    severity: failed ? "WARN" : "INFO",
    outcome: failed ? { result: "FAILURE", reason: result.errorSummary ?? "failed" } : { result: "SUCCESS" },
    target: [appTarget(app)],
    details: {
      operation: "testApiCredentials",
      baseUrl,
      checks: result.checks.map((check) => ({
        name: check.name,
        status: check.status,
        httpStatus: check.httpStatus,
        ...(check.classification ? { classification: check.classification } : {}),
        detail: check.detail,
      })),
    },
  };
}
