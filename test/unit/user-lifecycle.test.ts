import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/domain/errors";
import { applyLifecycle, statusAfterCreate, USER_STATUSES, type LifecycleOperation } from "../../src/domain/user-lifecycle";

function outcome(op: LifecycleOperation, status: (typeof USER_STATUSES)[number], hasPassword = false) {
  try {
    return applyLifecycle(op, status, hasPassword);
  } catch (error) {
    return (error as DomainError).code;
  }
}

describe("user lifecycle rules", () => {
  it("creates STAGED, PROVISIONED or ACTIVE as Okta's table says", () => {
    expect(statusAfterCreate(false, true)).toBe("STAGED");
    expect(statusAfterCreate(true, false)).toBe("PROVISIONED");
    expect(statusAfterCreate(true, true)).toBe("ACTIVE");
  });

  it("allows each operation only from Okta's source states", () => {
    const table = Object.fromEntries(
      (["activate", "reactivate", "deactivate", "suspend", "unsuspend"] as const).map((op) => [
        op,
        Object.fromEntries(USER_STATUSES.map((status) => [status, outcome(op, status)])),
      ]),
    );
    expect(table).toEqual({
      activate: {
        ACTIVE: "E0000016",
        DEPROVISIONED: "PROVISIONED",
        LOCKED_OUT: "E0000038",
        PASSWORD_EXPIRED: "E0000038",
        PROVISIONED: "E0000038",
        RECOVERY: "E0000038",
        STAGED: "PROVISIONED",
        SUSPENDED: "E0000038",
      },
      reactivate: {
        ACTIVE: "E0000038",
        DEPROVISIONED: "E0000038",
        LOCKED_OUT: "E0000038",
        PASSWORD_EXPIRED: "E0000038",
        PROVISIONED: "PROVISIONED",
        RECOVERY: "PROVISIONED",
        STAGED: "E0000038",
        SUSPENDED: "E0000038",
      },
      deactivate: {
        ACTIVE: "DEPROVISIONED",
        DEPROVISIONED: "E0000038",
        LOCKED_OUT: "DEPROVISIONED",
        PASSWORD_EXPIRED: "DEPROVISIONED",
        PROVISIONED: "DEPROVISIONED",
        RECOVERY: "DEPROVISIONED",
        STAGED: "DEPROVISIONED",
        SUSPENDED: "DEPROVISIONED",
      },
      suspend: {
        ACTIVE: "SUSPENDED",
        DEPROVISIONED: "E0000001",
        LOCKED_OUT: "E0000001",
        PASSWORD_EXPIRED: "E0000001",
        PROVISIONED: "E0000001",
        RECOVERY: "E0000001",
        STAGED: "E0000001",
        SUSPENDED: "E0000001",
      },
      unsuspend: {
        ACTIVE: "E0000001",
        DEPROVISIONED: "E0000001",
        LOCKED_OUT: "E0000001",
        PASSWORD_EXPIRED: "E0000001",
        PROVISIONED: "E0000001",
        RECOVERY: "E0000001",
        STAGED: "E0000001",
        SUSPENDED: "ACTIVE",
      },
    });
    expect(outcome("activate", "STAGED", true)).toBe("ACTIVE");
  });
});
