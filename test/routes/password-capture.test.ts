import { describe, expect, it } from "vitest";
import { api, createUser } from "../helpers/api";
import { ConsoleClient, textOf } from "../helpers/console";
import { appUserWhen, eventually, provisionedApp } from "../helpers/scim";

// Okta keeps only a hash of the password, so a user assigned after their password was set gets
// no password downstream until they sign in (Sync Password with the Okta password).
const OKTA_PASSWORD_SYNC = {
  create: { lifecycleCreate: { status: "ENABLED" } },
  update: {
    profile: { status: "ENABLED" },
    lifecycleDeactivate: { status: "ENABLED" },
    password: { status: "ENABLED", seed: "OKTA", change: "CHANGE" },
  },
};
const PASSWORD = "Captured-At-Sign-In-7";

const pending = async (appId: string) => (await api("GET", `/api/v1/apps/${appId}/provisioning/pending-passwords`)).body;

describe("the Okta password, captured at the user's next My Apps sign-in", () => {
  it("is missing downstream for a user assigned after setting it, marked pending, then delivered at sign-in", async () => {
    const { app, scim } = await provisionedApp(OKTA_PASSWORD_SYNC);
    const user = await createUser({ credentials: { password: { value: PASSWORD } } }, "?activate=true");
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const provisioned = await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED", "provisioned downstream");
    const externalId = provisioned.externalId;

    // Downstream has the account but no password: provisio never had the password in clear.
    expect((await scim.state()).passwords[externalId]).toBeUndefined();
    expect(await pending(app.id)).toEqual([
      expect.objectContaining({
        userId: user.id,
        status: "WAITING_FOR_SIGN_IN",
        summary: "Password pending the user's next sign-in",
        _links: expect.objectContaining({ appUser: { href: `http://provisio.test/api/v1/apps/${app.id}/users/${user.id}` } }),
      }),
    ]);
    const admin = new ConsoleClient();
    await admin.signIn();
    expect(textOf((await admin.get(`/admin/apps/${app.id}/assignments`)).html)).toContain("Password pending the user's next sign-in");

    // A failed sign-in captures nothing.
    const browser = new ConsoleClient(undefined, { "CF-Connecting-IP": "192.0.2.77" });
    expect((await browser.signInToMyApps(user.profile.login, "not-the-password")).status).toBe(401);
    expect(await pending(app.id)).toHaveLength(1);

    expect((await browser.signInToMyApps(user.profile.login, PASSWORD)).status).toBe(303);
    await eventually(async () => (await scim.state()).passwords[externalId]?.includes(PASSWORD), 15_000, "password delivered downstream");
    await eventually(async () => (await pending(app.id)).length === 0, 15_000, "pending mark gone");
    expect(textOf((await admin.get(`/admin/apps/${app.id}/assignments`)).html)).not.toContain("Password pending");

    // Signing in again sends nothing more: the password was delivered once.
    const before = (await scim.state()).passwords[externalId].length;
    expect(
      (await new ConsoleClient(undefined, { "CF-Connecting-IP": "192.0.2.78" }).signInToMyApps(user.profile.login, PASSWORD)).status,
    ).toBe(303);
    expect((await scim.state()).passwords[externalId]).toHaveLength(before);
    // The password itself is in no System Log event.
    const log = await api("GET", `/api/v1/logs?filter=${encodeURIComponent(`target.id eq "${user.id}"`)}&limit=1000`);
    expect(JSON.stringify(log.body)).not.toContain(PASSWORD);
  });

  it("marks nothing when the password was set while assigned (the change was pushed), or when the app does not sync the Okta password", async () => {
    const { app, scim } = await provisionedApp(OKTA_PASSWORD_SYNC);
    const user = await createUser({}, "?activate=false");
    await api("POST", `/api/v1/users/${user.id}/lifecycle/activate`);
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const { externalId } = await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED");
    await api("POST", `/api/v1/users/${user.id}`, { credentials: { password: { value: PASSWORD } } });
    await eventually(async () => (await scim.state()).passwords[externalId]?.includes(PASSWORD), 15_000, "changed password pushed");
    expect(await pending(app.id)).toEqual([]);

    const random = await provisionedApp({
      ...OKTA_PASSWORD_SYNC,
      update: { ...OKTA_PASSWORD_SYNC.update, password: { status: "ENABLED", seed: "RANDOM", change: "CHANGE" } },
    });
    const other = await createUser({ credentials: { password: { value: PASSWORD } } }, "?activate=true");
    await api("POST", `/api/v1/apps/${random.app.id}/users`, { id: other.id });
    await appUserWhen(random.app.id, other.id, (u) => u.status === "PROVISIONED");
    expect(await pending(random.app.id)).toEqual([]);
  });
});
