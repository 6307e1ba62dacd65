import { describe, expect, it } from "vitest";
import { api, createApp, createGroup, createUser, unique } from "../helpers/api";
import { ConsoleClient, textOf } from "../helpers/console";
import { downstreamUser, IMPORT_RULES, importingApp, runImport, scimCall } from "../helpers/imports";
import { appUserWhen, eventually, provisionedApp, SCIM_TOKEN, scimTenant } from "../helpers/scim";

async function signedIn() {
  const browser = new ConsoleClient();
  const res = await browser.signIn();
  expect(res.status).toBe(303);
  await browser.get("/admin/apps");
  return browser;
}

describe("admin console session", () => {
  it("sets an HttpOnly, SameSite=Strict session cookie scoped to /admin, Secure outside localhost", async () => {
    const remote = await new ConsoleClient().signIn();
    const cookie = remote.headers.getSetCookie().find((line) => line.startsWith("provisio_admin="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/admin/);
    expect(cookie).toMatch(/Secure/);
    expect(remote.location).toBe("/admin/apps");

    const local = await new ConsoleClient("http://localhost:8787").signIn();
    const localCookie = local.headers.getSetCookie().find((line) => line.startsWith("provisio_admin="))!;
    expect(localCookie).toMatch(/HttpOnly/);
    expect(localCookie).not.toMatch(/Secure/);
  });

  it("refuses a wrong token, and sends pages without a session to sign-in", async () => {
    const browser = new ConsoleClient();
    const wrong = await browser.signIn("not-a-token");
    expect(wrong.status).toBe(401);
    expect(textOf(wrong.html)).toContain("That API token is not valid.");
    expect(browser.cookies.has("provisio_admin")).toBe(false);
    const page = await browser.get("/admin/apps");
    expect(page.status).toBe(303);
    expect(page.location).toBe("/admin/sign-in");
  });

  it("never puts the token in a page, and serves pages with a CSP that forbids inline script", async () => {
    const browser = await signedIn();
    const page = await browser.get("/admin/apps");
    expect(page.status).toBe(200);
    expect(page.html).not.toContain("test-bootstrap-token");
    expect(page.headers.get("Content-Security-Policy")).toMatch(/script-src 'self'/);
    expect(page.headers.get("Cache-Control")).toBe("no-store");
    // Nor in an error page or a flash message.
    const missing = await browser.get("/admin/apps/0oaNoSuchApp/assignments");
    const refused = await browser.submit("/admin/apps/0oaNoSuchApp/assign/people", { userId: "00uNoSuchUser" });
    for (const html of [missing.html, refused.html]) expect(html).not.toContain("test-bootstrap-token");
    expect(textOf(refused.html)).toContain("Error:");
  });

  it("refuses a state change without the session's CSRF token and changes nothing", async () => {
    const browser = await signedIn();
    const app = await createApp();
    const user = await createUser();
    const forged = await browser.request("POST", `/admin/apps/${app.id}/assign/people`, { userId: user.id, _csrf: "0".repeat(64) });
    expect(forged.status).toBe(403);
    expect(textOf(forged.html)).toContain("CSRF token mismatch");
    const missing = await browser.request("POST", `/admin/apps/${app.id}/assign/people`, { userId: user.id });
    expect(missing.status).toBe(403);
    // A post from another site is refused by Origin before anything else.
    const crossSite = await browser.request(
      "POST",
      `/admin/apps/${app.id}/assign/people`,
      { userId: user.id, _csrf: browser.csrf },
      { Origin: "https://evil.example" },
    );
    expect(crossSite.status).toBe(403);
    expect((await api("GET", `/api/v1/apps/${app.id}/users/${user.id}`)).status).toBe(404);
  });

  it("signs out by clearing the cookie", async () => {
    const browser = await signedIn();
    const out = await browser.request("POST", "/admin/sign-out", { _csrf: browser.csrf });
    expect(out.status).toBe(303);
    expect(browser.cookies.has("provisio_admin")).toBe(false);
    expect((await browser.get("/admin/apps")).location).toBe("/admin/sign-in");
  });

  it("ends the session on the server: after sign-out a copy of the old cookie gets the sign-in page", async () => {
    const browser = await signedIn();
    const copy = new ConsoleClient();
    for (const [name, value] of browser.cookies) copy.cookies.set(name, value);
    expect((await copy.get("/admin/apps")).status).toBe(200);
    // The cookie is a sealed session id: neither the token nor a sealed copy of it.
    expect(decodeURIComponent(browser.cookies.get("provisio_admin")!)).not.toContain("test-bootstrap-token");
    await browser.request("POST", "/admin/sign-out", { _csrf: browser.csrf });
    const replay = await copy.get("/admin/apps");
    expect(replay.status).toBe(303);
    expect(replay.location).toBe("/admin/sign-in");
    const post = await copy.request("POST", "/admin/sign-out", { _csrf: copy.csrf });
    expect(post.status).toBe(401);
    expect(textOf(post.html)).toContain("Your session has ended");
  });

  it("signs out everywhere: another browser's session with the same token ends too", async () => {
    const minted = await api("POST", "/api/v1/api-tokens", { name: unique("console ") });
    const [here, there] = [new ConsoleClient(), new ConsoleClient()];
    for (const browser of [here, there]) {
      expect((await browser.signIn(minted.body.token)).status).toBe(303);
      await browser.get("/admin/apps");
    }
    const other = await signedIn();
    const out = await here.submit("/admin/sign-out-everywhere");
    expect(textOf(out.html)).toContain("Signed out of every console session that used this API token.");
    expect((await there.get("/admin/apps")).location).toBe("/admin/sign-in");
    expect((await here.get("/admin/apps")).location).toBe("/admin/sign-in");
    // A session signed in with another token is not touched.
    expect((await other.get("/admin/apps")).status).toBe(200);
    // The token itself still works: only the console sessions ended.
    expect((await api("GET", "/api/v1/apps?limit=1", undefined, { Authorization: `SSWS ${minted.body.token}` })).status).toBe(200);
  });

  it("ends a token's console sessions when the token is revoked, and through the API extension", async () => {
    const revoked = await api("POST", "/api/v1/api-tokens", { name: unique("revoked ") });
    const browser = new ConsoleClient();
    await browser.signIn(revoked.body.token);
    expect((await browser.get("/admin/apps")).status).toBe(200);
    expect((await api("DELETE", `/api/v1/api-tokens/${revoked.body.id}`)).status).toBe(204);
    expect((await browser.get("/admin/apps")).location).toBe("/admin/sign-in");

    const kept = await api("POST", "/api/v1/api-tokens", { name: unique("kept ") });
    const second = new ConsoleClient();
    await second.signIn(kept.body.token);
    expect((await api("DELETE", `/api/v1/api-tokens/${kept.body.id}/sessions`)).status).toBe(204);
    expect((await second.get("/admin/apps")).location).toBe("/admin/sign-in");
    const missing = await api("DELETE", "/api/v1/api-tokens/00TNoSuchToken123456/sessions");
    expect(missing.status).toBe(404);
    expect(missing.body.errorCode).toBe("E0000007");
  });
});

describe("admin console pages", () => {
  it("escapes user-controlled text: a <script> display name is shown as text", async () => {
    const browser = await signedIn();
    const evil = `<script>alert("x")</script>${unique()}`;
    const app = await createApp({ label: `<img src=x onerror=alert(1)>${unique()}` });
    const user = await createUser({ profile: { firstName: evil, lastName: "Mallory" } });
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const page = await browser.get(`/admin/apps/${app.id}/assignments`);
    expect(page.status).toBe(200);
    expect(page.html).not.toContain("<script>alert");
    expect(page.html).not.toContain("<img src=x");
    expect(page.html).toContain("&lt;script&gt;alert");
    expect(textOf(page.html)).toContain(`${evil} Mallory`);
  });

  it("searches applications by name", async () => {
    const browser = await signedIn();
    const tag = unique("Findme");
    const app = await createApp({ label: `${tag} HR` });
    await createApp();
    const page = await browser.get(`/admin/apps?q=${encodeURIComponent(tag)}`);
    expect(textOf(page.html)).toContain(`${tag} HR`);
    expect(page.html.match(/href="\/admin\/apps\/[^"/]+\/assignments"/g)).toEqual([`href="/admin/apps/${app.id}/assignments"`]);
  });

  it("assigns a person and a group, shows their source, and unassigns after confirmation", async () => {
    const browser = await signedIn();
    const app = await createApp();
    const person = await createUser({ profile: { firstName: "Pat" } });
    const member = await createUser({ profile: { firstName: "Gus" } });
    const group = await createGroup(unique("Sales "));
    await api("PUT", `/api/v1/groups/${group.id}/users/${member.id}`);

    const picker = await browser.get(`/admin/apps/${app.id}/assign?kind=people&q=${encodeURIComponent(person.profile.login)}`);
    expect(textOf(picker.html)).toContain(person.profile.login);
    const assigned = await browser.submit(`/admin/apps/${app.id}/assign/people`, { userId: person.id });
    expect(textOf(assigned.html)).toContain(`Done: Assigned ${person.profile.login}`);
    await browser.submit(`/admin/apps/${app.id}/assign/groups`, { groupId: group.id });

    const page = textOf((await browser.get(`/admin/apps/${app.id}/assignments`)).html);
    expect(page).toMatch(new RegExp(`Pat ${person.profile.lastName} ${person.profile.login} ${person.profile.login} Directly ACTIVE`));
    expect(page).toMatch(new RegExp(`Gus ${member.profile.lastName} ${member.profile.login} ${member.profile.login} By group ACTIVE`));
    expect(page).toContain(group.profile.name);
    const onlyGroups = textOf((await browser.get(`/admin/apps/${app.id}/assignments?show=groups`)).html);
    expect(onlyGroups).not.toContain(person.profile.login);
    expect(onlyGroups).toContain(group.profile.name);

    // A user whom only a group grants the app cannot be unassigned directly: the API's error is shown.
    const refused = await browser.submit(`/admin/apps/${app.id}/users/${member.id}/unassign`);
    expect(textOf(refused.html)).toContain("Error: Deactivate application for user forbidden. (E0000046)");

    const confirm = await browser.get(`/admin/apps/${app.id}/users/${person.id}/unassign`);
    expect(textOf(confirm.html)).toContain(`Unassign Pat ${person.profile.lastName} from ${app.label}?`);
    const done = await browser.submit(`/admin/apps/${app.id}/users/${person.id}/unassign`);
    expect(textOf(done.html)).toContain("Done: User unassigned.");
    expect((await api("GET", `/api/v1/apps/${app.id}/users/${person.id}`)).status).toBe(404);
  });

  it("marks people already assigned in the picker, and says what assigning them again changes before doing it", async () => {
    const browser = await signedIn();
    const app = await createApp();
    await api("POST", `/api/v1/meta/schemas/apps/${app.id}/default`, {
      definitions: { custom: { properties: { role: { title: "Role", type: "string" } } } },
    });
    const accounting = await createGroup(unique("Accounting "));
    const tag = unique("Pick");
    const [direct, member, both, nobody] = await Promise.all(
      ["Dee", "Gil", "Bo", "Nia"].map((firstName) => createUser({ profile: { firstName: `${tag}${firstName}` } })),
    );
    for (const user of [member, both]) await api("PUT", `/api/v1/groups/${accounting.id}/users/${user.id}`);
    expect((await api("PUT", `/api/v1/apps/${app.id}/groups/${accounting.id}`, { profile: { role: "Accountant" } })).status).toBe(200);
    for (const user of [direct, both]) expect((await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id })).status).toBe(200);
    const groupName = accounting.profile.name;

    const picker = await browser.get(`/admin/apps/${app.id}/assign?kind=people&q=${tag}`);
    const rows = textOf(picker.html);
    const row = (user: { profile: { login: string } }) => new RegExp(`${user.profile.login} ([^@]*?)(?= ${tag}|$| Done)`).exec(rows)?.[1];
    expect(row(direct)).toBe("✓ Assigned directly Assign again…");
    expect(row(member)).toBe(`✓ Assigned by group ${groupName} Assign directly…`);
    expect(row(both)).toBe(`✓ Assigned directly (and by group ${groupName}) Assign again…`);
    expect(row(nobody)).toBe("Not assigned Assign");
    expect(picker.html).toContain(`/admin/apps/${app.id}/assign/people/confirm?userId=${member.id}`);

    // Posting the plain Assign for someone group-assigned asks first and changes nothing.
    const asked = await browser.request("POST", `/admin/apps/${app.id}/assign/people`, { _csrf: browser.csrf, userId: member.id, q: tag });
    expect(asked.status).toBe(303);
    expect(asked.location).toBe(`/admin/apps/${app.id}/assign/people/confirm?userId=${member.id}&q=${tag}`);
    expect((await api("GET", `/api/v1/apps/${app.id}/users/${member.id}`)).body).toMatchObject({
      scope: "GROUP",
      profile: { role: "Accountant" },
    });

    const confirm = textOf((await browser.get(asked.location!)).html);
    const memberName = `${tag}Gil ${member.profile.lastName}`;
    expect(confirm).toContain(`Assign ${memberName} to ${app.label} directly?`);
    expect(confirm).toContain(
      `${memberName} is assigned by group ${groupName}: assigning directly makes the assignment USER-scoped (Administrator overrides group).`,
    );
    expect(confirm).toContain(`${groupName}'s values for role stop applying`);
    const done = textOf(
      (await browser.submit(`/admin/apps/${app.id}/assign/people`, { userId: member.id, q: tag, confirmed: "yes" })).html,
    );
    expect(done).toContain(
      `Done: ${memberName} is now assigned directly (USER scope; Administrator overrides group). ${groupName} still grants the app too.`,
    );
    const promoted = (await api("GET", `/api/v1/apps/${app.id}/users/${member.id}`)).body;
    expect(promoted.scope).toBe("USER");
    expect(promoted.profile.role).toBeUndefined();

    // Someone assigned directly: nothing changes, and the page says so before and after.
    const before = (await api("GET", `/api/v1/apps/${app.id}/users/${direct.id}`)).body;
    const again = textOf((await browser.get(`/admin/apps/${app.id}/assign/people/confirm?userId=${direct.id}&q=${tag}`)).html);
    expect(again).toContain(`${tag}Dee ${direct.profile.lastName} is already assigned directly: assigning again changes nothing`);
    const unchanged = textOf(
      (await browser.submit(`/admin/apps/${app.id}/assign/people`, { userId: direct.id, q: tag, confirmed: "yes" })).html,
    );
    expect(unchanged).toContain(`Done: Nothing changed: ${tag}Dee ${direct.profile.lastName} was already assigned directly.`);
    expect((await api("GET", `/api/v1/apps/${app.id}/users/${direct.id}`)).body.lastUpdated).toBe(before.lastUpdated);

    // Someone not assigned is assigned at once, as before.
    const fresh = textOf((await browser.submit(`/admin/apps/${app.id}/assign/people`, { userId: nobody.id, q: tag })).html);
    expect(fresh).toContain(`Done: Assigned ${nobody.profile.login}.`);
  });

  it("edits a custom attribute, shows its default, and resets it", async () => {
    const browser = await signedIn();
    const app = await createApp();
    await api("POST", `/api/v1/meta/schemas/apps/${app.id}/default`, {
      definitions: { custom: { id: "#custom", type: "object", properties: { nickName: { title: "Nickname", type: "string" } } } },
    });
    const mappings = await api("GET", `/api/v1/mappings?sourceId=oty00000000000000000&targetId=${app.id}`);
    await api("POST", `/api/v1/mappings/${mappings.body[0].id}`, {
      properties: { nickName: { expression: "user.firstName", pushStatus: "PUSH" } },
    });
    const user = await createUser({ profile: { firstName: "Ada" } });
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });

    const edit = textOf((await browser.get(`/admin/apps/${app.id}/users/${user.id}`)).html);
    expect(edit).toContain("Nickname nickName Ada Default");
    const saved = await browser.submit(`/admin/apps/${app.id}/users/${user.id}`, {
      userName: user.profile.login,
      "profile.nickName": "Countess",
    });
    expect(textOf(saved.html)).toContain("Done: Assignment saved.");
    expect(textOf(saved.html)).toContain("Nickname nickName Ada Overridden");
    expect((await api("GET", `/api/v1/apps/${app.id}/users/${user.id}`)).body.profile.nickName).toBe("Countess");

    const reset = await browser.submit(`/admin/apps/${app.id}/users/${user.id}/reset`, { attribute: "nickName" });
    expect(textOf(reset.html)).toContain("Done: nickName reset to its default.");
    expect((await api("GET", `/api/v1/apps/${app.id}/users/${user.id}`)).body.profile.nickName).toBe("Ada");
    // Following the default again: a change of firstName flows through.
    await api("POST", `/api/v1/users/${user.id}`, { profile: { firstName: "Augusta" } });
    expect((await api("GET", `/api/v1/apps/${app.id}/users/${user.id}`)).body.profile.nickName).toBe("Augusta");
  });

  it("shows an API validation error in the panel and changes nothing", async () => {
    const browser = await signedIn();
    const app = await createApp();
    await api("POST", `/api/v1/meta/schemas/apps/${app.id}/default`, {
      definitions: { custom: { id: "#custom", type: "object", properties: { level: { title: "Level", type: "integer" } } } },
    });
    const user = await createUser();
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id, profile: { level: 3 } });
    const page = await browser.submit(`/admin/apps/${app.id}/users/${user.id}`, { "profile.level": "high" });
    expect(textOf(page.html)).toMatch(/Error: Api validation failed: .*\(E0000001\)/);
    expect(textOf(page.html)).toContain("level");
    expect((await api("GET", `/api/v1/apps/${app.id}/users/${user.id}`)).body.profile.level).toBe(3);
  });

  it("explains the same-group rule on Push Groups and shows the API's refusal", async () => {
    const browser = await signedIn();
    const app = await createApp();
    const page = textOf((await browser.get(`/admin/apps/${app.id}/push-groups`)).html);
    expect(page).toContain("A group that assigns this app cannot also be pushed to it");
    const missing = await browser.submit(`/admin/apps/${app.id}/push-groups`, { groupName: "no such group here", target: "create" });
    expect(textOf(missing.html)).toContain("Error: No Okta group is named “no such group here”.");
  });

  it("answers an unknown app with the API's not-found message, not a crash", async () => {
    const browser = await signedIn();
    const page = await browser.get(`/admin/apps/0oaDoesNotExist/assignments`);
    expect(page.status).toBe(404);
    expect(textOf(page.html)).toContain("Not found: Resource not found: 0oaDoesNotExist (AppInstance)");
  });
});

describe("admin console provisioning views", () => {
  it("marks assignments made before provisioning with a warning and provisions them with Provision Users", async () => {
    const browser = await signedIn();
    const scim = scimTenant();
    const app = await createApp();
    const users = [await createUser(), await createUser()];
    for (const user of users) await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    // Connected through the console's own form, then To App switched on there too.
    const connected = await browser.submit(`/admin/apps/${app.id}/provisioning/connection`, {
      baseUrl: scim.baseUrl,
      authScheme: "TOKEN",
      token: SCIM_TOKEN,
      requestsPerSecond: "0",
      enabled: "on",
    });
    expect(textOf(connected.html)).toContain("Done: Connection saved.");
    expect(connected.html).not.toContain(SCIM_TOKEN);
    const toApp = await browser.submit(`/admin/apps/${app.id}/provisioning/to-app`, { create: "on", profile: "on", deactivate: "on" });
    expect(textOf(toApp.html)).toContain("Done: To App settings saved.");
    expect((await api("GET", `/api/v1/apps/${app.id}/features/USER_PROVISIONING`)).body.capabilities).toMatchObject({
      create: { lifecycleCreate: { status: "ENABLED" } },
      update: { profile: { status: "ENABLED" }, lifecycleDeactivate: { status: "ENABLED" }, password: { status: "DISABLED" } },
    });

    const before = textOf((await browser.get(`/admin/apps/${app.id}/assignments`)).html);
    expect(before).toContain("Warning: 2 assignments are not provisioned");
    expect(before.match(/⚠ Not provisioned/g)).toHaveLength(2);
    const started = await browser.submit(`/admin/apps/${app.id}/provision-users`);
    expect(textOf(started.html)).toContain("Done: Provisioning started for the unprovisioned assignments");
    for (const user of users) await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED");
    const after = textOf((await browser.get(`/admin/apps/${app.id}/assignments`)).html);
    expect(after).not.toContain("Not provisioned");
    expect(after.match(/SYNCHRONIZED/g)).toHaveLength(2);
    expect((await scim.state()).users).toHaveLength(2);
  });

  it("shows a provisioning error on the assignment and the failed task, and retries it from the console", async () => {
    const browser = await signedIn();
    const scim = scimTenant();
    const { app } = await provisionedApp();
    await api("POST", `/api/v1/apps/${app.id}/connections/default`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "TOKEN", token: "revoked" },
    });
    const user = await createUser();
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const failed = await eventually(
      async () => (await api("GET", `/api/v1/apps/${app.id}/provisioning/tasks?status=FAILED`)).body[0],
      10_000,
    );

    const tested = await browser.submit(`/admin/apps/${app.id}/provisioning/test`);
    expect(textOf(tested.html)).toMatch(/Error: API credentials test failed: ServiceProviderConfig: .*401/);
    const assignments = textOf((await browser.get(`/admin/apps/${app.id}/assignments`)).html);
    expect(assignments).toMatch(new RegExp(`${user.profile.login} .*ERROR ✖ Error: .*401`));
    const provisioning = textOf((await browser.get(`/admin/apps/${app.id}/provisioning`)).html);
    expect(provisioning).toContain(`USER_SYNC ${user.id} 1 ✖`);

    // Fix the token in the form (the saved one is never shown), then retry the task.
    await browser.submit(`/admin/apps/${app.id}/provisioning/connection`, {
      baseUrl: scim.baseUrl,
      authScheme: "TOKEN",
      token: SCIM_TOKEN,
      enabled: "on",
    });
    expect(textOf((await browser.submit(`/admin/apps/${app.id}/provisioning/test`)).html)).toContain("Done: API credentials verified.");
    const retried = await browser.submit(`/admin/apps/${app.id}/provisioning/tasks/${failed.id}/retry`);
    expect(textOf(retried.html)).toContain("Done: Task queued again.");
    await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED" && u.syncState === "SYNCHRONIZED");
    expect(textOf((await browser.get(`/admin/apps/${app.id}/provisioning`)).html)).toContain("Failed provisioning tasks None.");
  });

  it("saves To Okta rules and safeguard percentages, and shows a bad cron expression's error", async () => {
    const browser = await signedIn();
    const { app } = await provisionedApp();
    const saved = await browser.submit(`/admin/apps/${app.id}/provisioning/to-okta`, {
      scheduleEnabled: "on",
      fullImport: "0 2 * * *",
      timezone: "Europe/Paris",
      usernameFormat: "EMAIL",
      exactMatchCriteria: "EMAIL",
      autoConfirmExactMatch: "on",
      profileSourcing: "on",
      onDeactivated: "SUSPEND",
    });
    expect(textOf(saved.html)).toContain("Done: To Okta settings saved.");
    const inbound = (await api("GET", `/api/v1/apps/${app.id}/features/INBOUND_PROVISIONING`)).body.capabilities;
    expect(inbound.importSettings.schedule).toEqual({
      status: "ENABLED",
      fullImport: { expression: "0 2 * * *", timezone: "Europe/Paris" },
    });
    expect(inbound.importRules.userCreateAndMatch).toMatchObject({
      exactMatchCriteria: "EMAIL",
      autoConfirmExactMatch: true,
      autoConfirmNewUsers: false,
    });
    expect(inbound.profileSourcing).toMatchObject({ status: "ENABLED", onDeactivated: "SUSPEND" });

    const bad = await browser.submit(`/admin/apps/${app.id}/provisioning/to-okta`, { scheduleEnabled: "on", fullImport: "every tuesday" });
    expect(textOf(bad.html)).toMatch(/Error: Api validation failed: .*\(E0000001\).*not a valid cron expression/);
    expect(
      (await api("GET", `/api/v1/apps/${app.id}/features/INBOUND_PROVISIONING`)).body.capabilities.importSettings.schedule.fullImport
        .expression,
    ).toBe("0 2 * * *");

    const original = (await api("GET", "/api/v1/import-safeguards")).body;
    try {
      const guarded = await browser.submit(`/admin/apps/${app.id}/provisioning/safeguards`, {
        appEnabled: "on",
        appPercent: "35",
        orgEnabled: "on",
        orgPercent: "20",
      });
      expect(textOf(guarded.html)).toContain("Done: Import safeguards saved");
      expect((await api("GET", "/api/v1/import-safeguards")).body).toEqual({
        app: { enabled: true, percent: 35 },
        org: { enabled: true, percent: 20 },
      });
      const refused = await browser.submit(`/admin/apps/${app.id}/provisioning/safeguards`, {
        appEnabled: "on",
        appPercent: "0",
        orgEnabled: "on",
        orgPercent: "20",
      });
      expect(textOf(refused.html)).toMatch(/Error: Api validation failed/);
    } finally {
      await api("PUT", "/api/v1/import-safeguards", original);
    }
  });
});

describe("admin console import and push actions", () => {
  it("confirms every pending row of a plan with Confirm all", async () => {
    const browser = await signedIn();
    const { app, scim } = await importingApp({ importRules: { userCreateAndMatch: { ...IMPORT_RULES, autoConfirmNewUsers: false } } });
    const stamp = unique("n");
    for (let i = 0; i < 3; i++)
      await downstreamUser(scim, {
        userName: `${stamp}${i}@example.com`,
        email: `${stamp}${i}@example.com`,
        givenName: "New",
        familyName: `${stamp}${i}`,
      });
    const started = await browser.submit(`/admin/apps/${app.id}/import/start`, { type: "FULL" });
    expect(textOf(started.html)).toMatch(/Done: Import ims\w+ started\./);
    await eventually(async () => (await api("GET", `/api/v1/apps/${app.id}/imports`)).body[0].status === "AWAITING_CONFIRMATION");
    const plan = textOf((await browser.get(`/admin/apps/${app.id}/import?result=NEW`)).html);
    expect(plan.match(/NEW none PENDING/g)).toHaveLength(3);
    const nothing = await browser.submit(
      `/admin/apps/${app.id}/import/${(await api("GET", `/api/v1/apps/${app.id}/imports`)).body[0].id}/confirm`,
      { scope: "selected" },
    );
    expect(textOf(nothing.html)).toContain("Error: Select at least one row to confirm, or use Confirm all.");

    const session = (await api("GET", `/api/v1/apps/${app.id}/imports`)).body[0];
    const confirmed = await browser.submit(`/admin/apps/${app.id}/import/${session.id}/confirm`, { scope: "all", activate: "on" });
    expect(textOf(confirmed.html)).toContain("Done: All pending rows confirmed.");
    const created = await eventually(async () => {
      const users = (await api("GET", `/api/v1/users?search=${encodeURIComponent(`profile.login sw "${stamp}"`)}`)).body;
      return users.length === 3 && users;
    });
    expect(created.map((u: any) => u.status)).toEqual(["ACTIVE", "ACTIVE", "ACTIVE"]);
  });

  it("cancels an import stopped by a safeguard from the roadblock banner, changing nothing", async () => {
    const browser = await signedIn();
    const { app, scim } = await importingApp();
    const stamp = unique("s");
    const ids: string[] = [];
    for (let i = 0; i < 105; i++) {
      ids.push(
        (
          await downstreamUser(scim, {
            userName: `${stamp}${i}@example.com`,
            email: `${stamp}${i}@example.com`,
            givenName: "S",
            familyName: `${stamp}${i}`,
          })
        ).id,
      );
    }
    expect((await runImport(app.id)).counters.applied).toBe(105);
    for (const id of ids.slice(0, 30))
      await fetch(`${scim.baseUrl}/Users/${id}`, { method: "DELETE", headers: { Authorization: `Bearer ${SCIM_TOKEN}` } });
    await browser.submit(`/admin/apps/${app.id}/import/start`, { type: "FULL" });
    await eventually(async () => (await api("GET", `/api/v1/apps/${app.id}/imports`)).body[0].status === "PAUSED_SAFEGUARD", 20_000);

    const page = textOf((await browser.get(`/admin/apps/${app.id}/import`)).html);
    expect(page).toContain("Warning: Imports are paused: an import safeguard was triggered.");
    expect(page).toContain("This app's import would unassign 30 users, over the app-level limit of 21 (20%). Nothing has been changed.");
    // Another app's Import tab shows the same org-wide roadblock, pointing to this app.
    const other = await createApp();
    expect(textOf((await browser.get(`/admin/apps/${other.id}/import`)).html)).toContain("Another app's import would unassign 30 users");

    const cancelled = await browser.submit(`/admin/apps/${app.id}/import-roadblock/cancel`);
    expect(textOf(cancelled.html)).toContain("Done: The paused import was cancelled; nothing was changed.");
    expect(textOf(cancelled.html)).not.toContain("Imports are paused");
    expect((await api("GET", "/api/v1/import-roadblock")).status).toBe(404);
    expect((await api("GET", `/api/v1/apps/${app.id}/users?limit=500`)).body).toHaveLength(105);
  }, 120_000);

  it("links a pushed group to an existing downstream group and unlinks it deleting that group", async () => {
    const browser = await signedIn();
    const { app, scim } = await provisionedApp();
    const group = await createGroup(unique("Push "));
    const existing = (await scimCall(scim, "POST", "/Groups", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
      displayName: "Existing team",
    })) as { id: string };
    const linked = await browser.submit(`/admin/apps/${app.id}/push-groups`, {
      groupName: group.profile.name,
      target: "link",
      targetGroupId: existing.id,
    });
    expect(textOf(linked.html)).toContain(`Done: ${group.profile.name} is being pushed.`);
    const [mapping] = (await api("GET", `/api/v1/apps/${app.id}/group-push/mappings`)).body;
    expect(mapping).toMatchObject({ sourceGroupId: group.id, targetGroupId: existing.id, status: "ACTIVE" });
    expect(textOf((await browser.get(`/admin/apps/${app.id}/push-groups`)).html)).toContain(`${group.profile.name} ${existing.id} ACTIVE`);

    const confirm = textOf((await browser.get(`/admin/apps/${app.id}/push-groups/${mapping.id}/unlink`)).html);
    expect(confirm).toContain(`Unlink ${group.profile.name}?`);
    const unlinked = await browser.submit(`/admin/apps/${app.id}/push-groups/${mapping.id}/unlink`, { deleteTargetGroup: "true" });
    expect(textOf(unlinked.html)).toContain("Done: Unlinked; the group in the app is being deleted.");
    expect((await api("GET", `/api/v1/apps/${app.id}/group-push/mappings`)).body).toEqual([]);
    await eventually(async () => !(await scim.state()).groups.some((g: any) => g.id === existing.id), 15_000, "downstream group deleted");
  });
});

describe("admin console edge cases", () => {
  async function appWithAttributes(properties: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
    const app = await createApp(overrides);
    await api("POST", `/api/v1/meta/schemas/apps/${app.id}/default`, {
      definitions: { custom: { id: "#custom", type: "object", properties } },
    });
    return app;
  }

  it("resets one attribute and keeps the user's other overrides", async () => {
    const browser = await signedIn();
    const app = await appWithAttributes({ nickName: { title: "Nickname", type: "string" }, team: { title: "Team", type: "string" } });
    const user = await createUser();
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id, profile: { nickName: "Nick", team: "Blue" } });
    await browser.submit(`/admin/apps/${app.id}/users/${user.id}/reset`, { attribute: "nickName" });
    const profile = (await api("GET", `/api/v1/apps/${app.id}/users/${user.id}`)).body.profile;
    expect(profile.nickName).toBeUndefined();
    expect(profile.team).toBe("Blue");
  });

  it("saves typed values (integer arrays included) and keeps overrides of attributes the form does not show", async () => {
    const browser = await signedIn();
    const app = await appWithAttributes({ levels: { title: "Levels", type: "array", items: { type: "integer" } } });
    const user = await createUser();
    // An attribute the schema does not declare is accepted as given by the API.
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id, profile: { levels: [1], legacyCode: "X-1" } });
    const saved = await browser.submit(`/admin/apps/${app.id}/users/${user.id}`, { "profile.levels": "3, 5" });
    expect(textOf(saved.html)).toContain("Done: Assignment saved.");
    const profile = (await api("GET", `/api/v1/apps/${app.id}/users/${user.id}`)).body.profile;
    expect(profile).toMatchObject({ levels: [3, 5], legacyCode: "X-1" });
  });

  it("saves attributes on a shared-credentials app without sending a username", async () => {
    const browser = await signedIn();
    const app = await appWithAttributes(
      { team: { title: "Team", type: "string" } },
      {
        signOnMode: "AUTO_LOGIN",
        settings: { signOn: { loginUrl: "https://shared.example.com" } },
        credentials: { scheme: "SHARED_USERNAME_AND_PASSWORD", userName: "team", password: { value: "hunter2hunter2" } },
      },
    );
    const user = await createUser();
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const edit = await browser.get(`/admin/apps/${app.id}/users/${user.id}`);
    expect(edit.html).not.toContain('name="userName"');
    const saved = await browser.submit(`/admin/apps/${app.id}/users/${user.id}`, { "profile.team": "Red" });
    expect(textOf(saved.html)).toContain("Done: Assignment saved.");
    expect((await api("GET", `/api/v1/apps/${app.id}/users/${user.id}`)).body.profile.team).toBe("Red");
  });

  it("says when a direct unassignment leaves the user assigned by a group", async () => {
    const browser = await signedIn();
    const app = await createApp();
    const user = await createUser();
    const group = await createGroup();
    await api("PUT", `/api/v1/groups/${group.id}/users/${user.id}`);
    await api("PUT", `/api/v1/apps/${app.id}/groups/${group.id}`);
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id, scope: "USER" });
    const page = await browser.submit(`/admin/apps/${app.id}/users/${user.id}/unassign`);
    expect(textOf(page.html)).toContain("Done: Direct assignment removed; the user keeps the app through a group.");
    expect((await api("GET", `/api/v1/apps/${app.id}/users/${user.id}`)).body.scope).toBe("GROUP");
  });

  it("clears a schedule and the username expression when their fields are emptied", async () => {
    const browser = await signedIn();
    const { app } = await provisionedApp();
    await api("PUT", `/api/v1/apps/${app.id}/features/INBOUND_PROVISIONING`, {
      importSettings: {
        username: { usernameFormat: "CUSTOM", userNameExpression: "appuser.userName" },
        schedule: { status: "ENABLED", fullImport: { expression: "0 2 * * *" } },
      },
    });
    await browser.submit(`/admin/apps/${app.id}/provisioning/to-okta`, { usernameFormat: "EMAIL", fullImport: "", userNameExpression: "" });
    const settings = (await api("GET", `/api/v1/apps/${app.id}/features/INBOUND_PROVISIONING`)).body.capabilities.importSettings;
    expect(settings.schedule).toEqual({ status: "DISABLED" });
    expect(settings.username).toEqual({ usernameFormat: "EMAIL", userNameExpression: "" });
  });

  it("ends the session when its token is revoked, and sends the administrator to sign in", async () => {
    const minted = await api("POST", "/api/v1/api-tokens", { name: unique("console ") });
    const browser = new ConsoleClient();
    expect((await browser.signIn(minted.body.token)).status).toBe(303);
    expect((await browser.get("/admin/apps")).status).toBe(200);
    expect((await api("DELETE", `/api/v1/api-tokens/${minted.body.id}`)).status).toBe(204);
    const after = await browser.get("/admin/apps");
    expect(after.status).toBe(303);
    expect(after.location).toBe("/admin/sign-in");
    expect(browser.cookies.has("provisio_admin")).toBe(false);
    // Revoking the token ended its session on the server: the next page says so.
    expect(textOf((await browser.get("/admin/sign-in")).html)).toContain(
      "Error: Your session has ended (signed out, signed out everywhere, or its API token was revoked). Sign in again.",
    );
  });

  it("refuses a cross-site sign-in post and tokens that cannot be tokens", async () => {
    const crossSite = await new ConsoleClient().request(
      "POST",
      "/admin/sign-in",
      { token: "test-bootstrap-token" },
      { Origin: "https://evil.example" },
    );
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.getSetCookie().some((line) => line.startsWith("provisio_admin="))).toBe(false);
    const zeroWidth = await new ConsoleClient().signIn("test-bootstrap-token\u200b");
    expect(zeroWidth.status).toBe(401);
    expect(textOf(zeroWidth.html)).toContain("That API token is not valid.");
  });

  it("answers unknown console paths and odd ids with pages, never a JSON error or a 500", async () => {
    const browser = await signedIn();
    const unknown = await browser.get("/admin/nowhere");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("Content-Type")).toMatch(/text\/html/);
    expect(textOf(unknown.html)).toContain("There is no console page at this address.");
    const app = await createApp();
    for (const session of ["..", ".", ""]) {
      const page = await browser.get(`/admin/apps/${app.id}/import/progress?session=${encodeURIComponent(session)}`);
      expect(page.status).toBe(404);
      expect(page.headers.get("Content-Type")).toMatch(/text\/html/);
    }
    const decision = await browser.request("POST", `/admin/apps/${app.id}/import-roadblock/explode`, { _csrf: browser.csrf });
    expect(decision.status).toBe(404);
  });

  it("serves the import progress fragment with the session's state for the live view", async () => {
    const browser = await signedIn();
    const { app } = await importingApp();
    const session = await runImport(app.id);
    const fragment = await browser.get(`/admin/apps/${app.id}/import/progress?session=${session.id}`);
    expect(fragment.status).toBe(200);
    expect(fragment.html).toMatch(new RegExp(`^<div data-state="${session.status}">`));
    expect(fragment.html).toContain('data-count="fetched"');
  });
});
