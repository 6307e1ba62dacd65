import { describe, expect, it } from "vitest";
import { DEFAULT_CAPABILITIES } from "../../src/provisioning/capabilities";
import { pendingPassword, syncsOktaPassword } from "../../src/provisioning/pending-password";

const t = (ms: number) => new Date(ms);

describe("passwords waiting for the user's next sign-in", () => {
  it("waits only for assignments made after the password was last set", () => {
    const base = { passwordChanged: t(1000), externalId: "x", delivery: null };
    expect(pendingPassword({ ...base, assigned: t(2000) })).toBe("WAITING_FOR_SIGN_IN");
    expect(pendingPassword({ ...base, assigned: t(500) })).toBeUndefined();
    expect(pendingPassword({ ...base, passwordChanged: null, assigned: t(2000) })).toBeUndefined();
  });

  it("counts a capture only for the same password and an assignment it saw", () => {
    const base = { passwordChanged: t(1000), externalId: "x", assigned: t(2000) };
    expect(pendingPassword({ ...base, delivery: { passwordVersion: t(1000), requested: t(3000) } })).toBe("CAPTURED");
    // The password changed since: the capture was of an older one.
    expect(pendingPassword({ ...base, delivery: { passwordVersion: t(900), requested: t(3000) } })).toBe("WAITING_FOR_SIGN_IN");
    // Unassigned and assigned again after the capture: a new account, waiting again.
    expect(pendingPassword({ ...base, assigned: t(4000), delivery: { passwordVersion: t(1000), requested: t(3000) } })).toBe(
      "WAITING_FOR_SIGN_IN",
    );
  });

  it("applies to apps that sync the Okta password and push its changes, over an enabled connection", () => {
    const okta = structuredClone(DEFAULT_CAPABILITIES);
    okta.update.password = { status: "ENABLED", seed: "OKTA", change: "CHANGE" };
    expect(syncsOktaPassword(true, okta)).toBe(true);
    expect(syncsOktaPassword(false, okta)).toBe(false);
    expect(syncsOktaPassword(true, { ...okta, update: { ...okta.update, password: { ...okta.update.password, seed: "RANDOM" } } })).toBe(
      false,
    );
    expect(
      syncsOktaPassword(true, { ...okta, update: { ...okta.update, password: { ...okta.update.password, change: "KEEP_EXISTING" } } }),
    ).toBe(false);
  });
});
