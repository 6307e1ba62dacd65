import { countSignInAttempt, takeAuthFailureLogBudget } from "../access/gate-client";
import { limitsFrom } from "../access/rate-limits";
import { writeLog, type AuditContext, type LogActor } from "../audit/system-log";
import { DECOY_HASH, verifyPassword } from "../crypto/password-hash";
import { hashToken } from "../crypto/token-hash";
import type { DB } from "../db/client";
import type { UserRow } from "../db/schema";
import { findUserByLogin, updateUser } from "../db/queries/users";

// My Apps sign-in with an Okta login and password, checked against the stored PBKDF2 hash. Each
// attempt is counted per client address and per login before any password is tried (past
// AUTH_FAILURES_PER_MINUTE the answer is "too many attempts"), and written to the System Log as
// Okta's user.session.start (failures within the org-wide budget for failed authentications).

export type SignInOutcome = { ok: true; user: UserRow } | { ok: false; reason: "rate_limited" | "invalid" };

export interface SignInAttempt {
  login: string;
  password: string;
  /** clientAddressKey of the request. */
  address: string;
  audit: AuditContext;
}

export function userActor(user: Pick<UserRow, "id" | "login" | "firstName" | "lastName">): LogActor {
  return {
    id: user.id,
    type: "User",
    alternateId: user.login,
    displayName: [user.firstName, user.lastName].filter(Boolean).join(" ") || user.login,
  };
}

export async function signInEndUser(env: Env, db: DB, attempt: SignInAttempt): Promise<SignInOutcome> {
  const limits = limitsFrom(env);
  const login = attempt.login.trim().toLowerCase();
  if (limits.authFailures > 0) {
    const buckets = await Promise.all([
      countSignInAttempt(env, attempt.address, limits),
      countSignInAttempt(env, `login:${await hashToken(login)}`, limits),
    ]);
    if (buckets.some((bucket) => bucket?.exceeded)) {
      await logFailure(env, db, attempt, login, "RATE_LIMITED");
      return { ok: false, reason: "rate_limited" };
    }
  }
  const user = login ? await findUserByLogin(db, login) : undefined;
  // The hash is checked even for an unknown login, so timing does not tell which logins exist.
  const matches = await verifyPassword(attempt.password, user?.passwordHash ?? DECOY_HASH);
  if (!user || !user.passwordHash || !matches || user.status !== "ACTIVE") {
    await logFailure(env, db, attempt, login, !user || !matches ? "INVALID_CREDENTIALS" : `USER_${user.status}`);
    return { ok: false, reason: "invalid" };
  }
  const now = new Date();
  const signedIn = (await updateUser(db, user.id, { lastLogin: now })) ?? user;
  await writeLog(db, [
    {
      eventType: "user.session.start",
      displayMessage: "User login to Okta",
      actor: userActor(user),
      audit: attempt.audit,
      outcome: { result: "SUCCESS" },
      target: [{ id: user.id, type: "User", alternateId: user.login, displayName: userActor(user).displayName }],
      details: { via: "my-apps" },
    },
  ]);
  return { ok: true, user: signedIn };
}

async function logFailure(env: Env, db: DB, attempt: SignInAttempt, login: string, reason: string): Promise<void> {
  try {
    if (!(await takeAuthFailureLogBudget(env, limitsFrom(env)))) return;
    await writeLog(db, [
      {
        eventType: "user.session.start",
        displayMessage: "User login to Okta",
        severity: "WARN",
        // Who tried is only what they typed (never the password); Okta logs the same.
        actor: { id: "unknown", type: "User", alternateId: login.slice(0, 256) || "unknown", displayName: "unknown" },
        audit: attempt.audit,
        outcome: { result: "FAILURE", reason },
        details: { via: "my-apps", clientAddress: attempt.address },
      },
    ]);
  } catch (error) {
    console.error(JSON.stringify({ event: "sign_in_failure.log_failed", reason: error instanceof Error ? error.message : String(error) }));
  }
}
