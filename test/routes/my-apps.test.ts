import { describe, expect, it } from "vitest";
import { api, createApp, createGroup, createUser, unique } from "../helpers/api";
import { ConsoleClient, textOf } from "../helpers/console";

const PASSWORD = "Correct-Horse-42";

/** A browser of its own client address (one per browser), so sign-in attempts are counted apart. */
let addresses = 0;
const browser = () => new ConsoleClient(undefined, { "CF-Connecting-IP": `198.51.100.${++addresses}` });

async function activeUser(profile: Record<string, unknown> = {}) {
  return createUser({ profile, credentials: { password: { value: PASSWORD } } }, "?activate=true");
}

async function signedIn(user: { profile: { login: string } }) {
  const client = browser();
  const res = await client.signInToMyApps(user.profile.login, PASSWORD);
  expect(res.status).toBe(303);
  return client;
}

/** The tiles on the page: each app's label, in order. */
function tiles(html: string): string[] {
  return [...html.matchAll(/<span class="label">([^<]*)<\/span>/g)].map((m) => m[1]);
}

async function events(eventType: string, actorLogin?: string) {
  const filter = encodeURIComponent(`eventType eq "${eventType}"`);
  const res = await api("GET", `/api/v1/logs?filter=${filter}&limit=1000`);
  return res.body.filter((e: { actor: { alternateId: string } }) => !actorLogin || e.actor.alternateId === actorLogin.toLowerCase());
}

describe("My Apps sign-in", () => {
  it("refuses a wrong password, an unknown login and a suspended user alike, and logs each failure", async () => {
    const user = await activeUser();
    const suspended = await activeUser();
    await api("POST", `/api/v1/users/${suspended.id}/lifecycle/suspend`);
    for (const [login, password] of [
      [user.profile.login, "wrong-password"],
      [`${unique("nobody")}@example.com`, PASSWORD],
      [suspended.profile.login, PASSWORD],
    ]) {
      const client = browser();
      const res = await client.signInToMyApps(login, password);
      expect(res.status).toBe(401);
      expect(textOf(res.html)).toContain("Sign-in failed. Check your username and password.");
      expect(client.cookies.has("provisio_my_apps")).toBe(false);
      expect(res.html).not.toContain(password);
    }
    const failures = await events("user.session.start", user.profile.login);
    expect(failures).toHaveLength(1);
    expect(failures[0].outcome).toEqual({ result: "FAILURE", reason: "INVALID_CREDENTIALS" });
    expect(JSON.stringify(failures)).not.toContain("wrong-password");
    expect((await events("user.session.start", suspended.profile.login))[0].outcome.reason).toBe("USER_SUSPENDED");
  });

  it("stops trying passwords after too many attempts from one address", async () => {
    const user = await activeUser();
    const client = browser();
    let last;
    for (let i = 0; i < 31; i++) last = await client.signInToMyApps(`${unique("guess")}@example.com`, "guess");
    expect(last!.status).toBe(429);
    expect(textOf(last!.html)).toContain("Too many sign-in attempts");
    // Past the limit even the right password is not tried.
    expect((await client.signInToMyApps(user.profile.login, PASSWORD)).status).toBe(429);
    expect((await browser().signInToMyApps(user.profile.login, PASSWORD)).status).toBe(303);
  });

  it("sets its own session cookie with the console's flags, holding no user data", async () => {
    const user = await activeUser();
    const remote = browser();
    const res = await remote.signInToMyApps(user.profile.login, PASSWORD);
    const cookie = res.headers.getSetCookie().find((line) => line.startsWith("provisio_my_apps="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).not.toContain(user.id);
    const local = new ConsoleClient("http://localhost:8787", { "CF-Connecting-IP": "203.0.113.9" });
    const localCookie = (await local.signInToMyApps(user.profile.login, PASSWORD)).headers
      .getSetCookie()
      .find((line) => line.startsWith("provisio_my_apps="))!;
    expect(localCookie).not.toMatch(/Secure/);
    const success = await events("user.session.start", user.profile.login);
    expect(success.map((e: { outcome: { result: string } }) => e.outcome.result)).toEqual(["SUCCESS", "SUCCESS"]);
    expect((await api("GET", `/api/v1/users/${user.id}`)).body.lastLogin).not.toBeNull();
  });
});

describe("My Apps tiles", () => {
  it("shows direct and group assignments in the user's order, searches them, and hides hidden apps", async () => {
    const user = await activeUser();
    const group = await createGroup();
    await api("PUT", `/api/v1/groups/${group.id}/users/${user.id}`);
    const tag = unique("");
    const [wiki, payroll, hidden] = await Promise.all([
      createApp({ label: `Wiki ${tag}`, settings: { app: { url: "https://wiki.example.com/" } } }),
      createApp({ label: `Payroll ${tag}` }),
      createApp({ label: `Hidden ${tag}`, visibility: { hide: { web: true, iOS: true } } }),
    ]);
    await api("POST", `/api/v1/apps/${wiki.id}/users`, { id: user.id });
    await api("PUT", `/api/v1/apps/${payroll.id}/groups/${group.id}`, undefined, { "Content-Length": "0" });
    await api("POST", `/api/v1/apps/${hidden.id}/users`, { id: user.id });

    const client = await signedIn(user);
    const page = await client.get("/my-apps");
    expect(page.status).toBe(200);
    expect(tiles(page.html)).toEqual([`Wiki ${tag}`, `Payroll ${tag}`]);
    expect(page.headers.get("Content-Security-Policy")).toMatch(/script-src 'none'/);

    const search = await client.get(`/my-apps?q=${encodeURIComponent("payroll")}`);
    expect(tiles(search.html)).toEqual([`Payroll ${tag}`]);
    expect(textOf((await client.get("/my-apps?q=nothing-like-it")).html)).toContain("No app matches");

    const moved = await client.submit("/my-apps/order", { appId: payroll.id, direction: "earlier" });
    expect(tiles(moved.html)).toEqual([`Payroll ${tag}`, `Wiki ${tag}`]);
    const order = (await api("GET", `/api/v1/users/${user.id}/appLinks`)).body.map((l: { label: string; sortOrder: number }) => [
      l.label,
      l.sortOrder,
    ]);
    expect(order).toEqual([
      [`Payroll ${tag}`, 0],
      [`Wiki ${tag}`, 1],
      [`Hidden ${tag}`, 2],
    ]);

    // A tile opens the app: the launch link redirects to the app's URL.
    const launch = await client.get(`/home/bookmark/${wiki.id}/bookmark_link`);
    expect(launch.status).toBe(303);
    expect(launch.location).toBe("https://wiki.example.com/");
  });

  it("drops an app deactivated or unassigned meanwhile, and shows nothing to a user with no apps", async () => {
    const user = await activeUser();
    const [kept, deactivated, unassigned] = await Promise.all([createApp(), createApp(), createApp()]);
    for (const app of [kept, deactivated, unassigned]) await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const client = await signedIn(user);
    expect(tiles((await client.get("/my-apps")).html)).toHaveLength(3);
    await api("POST", `/api/v1/apps/${deactivated.id}/lifecycle/deactivate`);
    await api("DELETE", `/api/v1/apps/${unassigned.id}/users/${user.id}`);
    expect(tiles((await client.get("/my-apps")).html)).toEqual([kept.label]);
    const gone = await client.get(`/home/bookmark/${unassigned.id}/bookmark_link`);
    expect(gone.status).toBe(404);
    expect(textOf(gone.html)).toContain("This app is not assigned to you");

    const nobody = await signedIn(await activeUser());
    const empty = await nobody.get("/my-apps");
    expect(tiles(empty.html)).toEqual([]);
    expect(textOf(empty.html)).toContain("You have no apps yet.");
  });

  it("ends the session of a user suspended or deactivated meanwhile", async () => {
    const user = await activeUser();
    const app = await createApp();
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const client = await signedIn(user);
    await api("POST", `/api/v1/users/${user.id}/lifecycle/suspend`);
    const page = await client.get("/my-apps");
    expect(page.status).toBe(303);
    expect(page.location).toBe("/my-apps/sign-in");
    await api("POST", `/api/v1/users/${user.id}/lifecycle/unsuspend`);
    // The ended session stays ended; signing in again works.
    expect((await client.get("/my-apps")).status).toBe(303);
    expect((await signedIn(user)).cookies.has("provisio_my_apps")).toBe(true);
  });

  it("opens an autoLaunch app at sign-in, and sends a signed-out launch through sign-in and back", async () => {
    const user = await activeUser();
    const app = await createApp({ visibility: { autoLaunch: true, hide: { web: false, iOS: false } } });
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const res = await browser().signInToMyApps(user.profile.login, PASSWORD);
    expect(res.location).toBe(`/home/bookmark/${app.id}/bookmark_link`);

    const client = browser();
    const launch = await client.get(`/home/bookmark/${app.id}/bookmark_link`);
    expect(launch.location).toBe(`/my-apps/sign-in?next=${encodeURIComponent(`/home/bookmark/${app.id}/bookmark_link`)}`);
    const form = await client.get(launch.location!);
    expect(form.html).toContain(`name="next" value="/home/bookmark/${app.id}/bookmark_link"`);
    const back = await client.request("POST", "/my-apps/sign-in", {
      login: user.profile.login,
      password: PASSWORD,
      next: `/home/bookmark/${app.id}/bookmark_link`,
    });
    expect(back.location).toBe(`/home/bookmark/${app.id}/bookmark_link`);
    // Only this origin's own paths are followed.
    const elsewhere = await browser().request("POST", "/my-apps/sign-in", {
      login: user.profile.login,
      password: PASSWORD,
      next: "https://evil.example/",
    });
    expect(elsewhere.location).toBe(`/home/bookmark/${app.id}/bookmark_link`);
  });
});

describe("launch links", () => {
  it("open the app's sign-in URL, or say why provisio cannot sign the user in to a SAML app", async () => {
    const user = await activeUser();
    const saml = await createApp({
      label: unique("SAML "),
      signOnMode: "SAML_2_0",
      settings: { signOn: { ssoAcsUrl: "https://sp.example.com/acs", audience: "https://sp.example.com" } },
    });
    const slack = (
      await api("POST", "/api/v1/apps", {
        name: "slack",
        label: unique("Slack "),
        signOnMode: "SAML_2_0",
        settings: { app: { domain: "acme" } },
      })
    ).body;
    for (const app of [saml, slack]) await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const client = await signedIn(user);
    const explained = await client.get(pathOfLink(saml.name, saml.id));
    expect(explained.status).toBe(200);
    expect(textOf(explained.html)).toContain("This app signs in with SAML_2_0, which provisio does not perform");
    const catalog = await client.get(pathOfLink("slack", slack.id));
    expect(catalog.location).toBe("https://acme.slack.com/");
  });
});

const pathOfLink = (name: string, appId: string) => `/home/${encodeURIComponent(name)}/${appId}/${encodeURIComponent(`${name}_link`)}`;

describe("My Apps sessions", () => {
  it("after sign-out the old cookie gets the sign-in page", async () => {
    const user = await activeUser();
    const client = await signedIn(user);
    expect((await client.get("/my-apps")).status).toBe(200);
    const copied = new Map(client.cookies);
    const out = await client.submit("/my-apps/sign-out");
    expect(textOf(out.html)).toContain("You are signed out.");
    expect(client.cookies.has("provisio_my_apps")).toBe(false);
    const replay = browser();
    for (const [name, value] of copied) replay.cookies.set(name, value);
    const page = await replay.get("/my-apps");
    expect(page.status).toBe(303);
    expect(page.location).toBe("/my-apps/sign-in");
    expect((await events("user.session.end", user.profile.login)).length).toBe(1);
  });

  it("ends every session of the user with DELETE /api/v1/users/{id}/sessions", async () => {
    const user = await activeUser();
    const [one, two] = [await signedIn(user), await signedIn(user)];
    expect((await one.get("/my-apps")).status).toBe(200);
    const cleared = await api("DELETE", `/api/v1/users/${user.id}/sessions`);
    expect(cleared.status).toBe(204);
    for (const client of [one, two]) expect((await client.get("/my-apps")).location).toBe("/my-apps/sign-in");
    expect((await api("DELETE", "/api/v1/users/00uNoSuchUser1234567/sessions")).body.errorCode).toBe("E0000007");
  });

  it("refuses a form without the session's CSRF token, or from another site", async () => {
    const user = await activeUser();
    const app = await createApp();
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const client = await signedIn(user);
    await client.get("/my-apps");
    const forged = await client.request("POST", "/my-apps/order", { appId: app.id, direction: "later", _csrf: "0".repeat(64) });
    expect(forged.status).toBe(403);
    const crossSite = await client.request("POST", "/my-apps/sign-out", { _csrf: client.csrf }, { Origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
    expect((await client.get("/my-apps")).status).toBe(200);
  });
});
