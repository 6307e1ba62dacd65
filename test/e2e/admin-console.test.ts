import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SDK_TOKEN, startLocalWorker, type LocalWorker } from "../node/local-worker";
import { SCIM_TOKEN, startScimServer } from "../scim/scim-server";
import { launchChromium } from "./browser";

// Code evaluated in the page is passed as strings: this project's types are the Worker's, not the DOM's.
// The admin console in a real browser (Debian's Chromium driven by playwright-core) against
// the Worker run the way `npm start` runs it, with a real SCIM app behind it.

const SCREENSHOTS = join("test", "e2e", "screenshots");
const ROADBLOCK_USERS = 110; // over 100 assigned users, so the app-level safeguard applies

let worker: LocalWorker;
let scim: { origin: string; close: () => Promise<void> };
let browser: Browser;
let page: Page;

async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${worker.url}${path}`, {
    method,
    headers: { Authorization: `SSWS ${SDK_TOKEN}`, Accept: "application/json", ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function createUser(firstName: string, lastName: string) {
  const login = `${firstName}.${lastName}@example.com`.toLowerCase();
  return api<{ id: string }>("POST", "/api/v1/users?activate=true", { profile: { firstName, lastName, email: login, login } });
}

async function inBatches<T>(count: number, size: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < count; start += size) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - start) }, (_, k) => make(start + k)))));
  }
  return out;
}

async function screenshot(name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

const banner = () => page.locator(".banner").first();

describe("admin console in Chromium", () => {
  let appId: string;
  let tenantRoot: string;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    [worker, scim, browser] = await Promise.all([startLocalWorker({ DOWNSTREAM_ACCESS: "local" }), startScimServer(), launchChromium()]);
    tenantRoot = `${scim.origin}/t/e2e${Date.now()}`;

    // The org an administrator would find: an app with a nickName attribute mapped from firstName,
    // a group with two members, and enough assigned users for the import safeguard to apply.
    const app = await api<{ id: string }>("POST", "/api/v1/apps", {
      label: "HR Portal",
      signOnMode: "BOOKMARK",
      settings: { app: { url: "https://hr.example.com/" } },
    });
    appId = app.id;
    await api("POST", "/api/v1/apps", { label: "Wiki", signOnMode: "BOOKMARK", settings: { app: { url: "https://wiki.example.com/" } } });
    await api("POST", `/api/v1/meta/schemas/apps/${appId}/default`, {
      definitions: { custom: { id: "#custom", type: "object", properties: { nickName: { title: "Nickname", type: "string" } } } },
    });
    const [mapping] = await api<{ id: string }[]>("GET", `/api/v1/mappings?sourceId=oty00000000000000000&targetId=${appId}`);
    await api("POST", `/api/v1/mappings/${mapping.id}`, { properties: { nickName: { expression: "user.firstName", pushStatus: "PUSH" } } });
    await createUser("Ada", "Lovelace");
    const engineering = await api<{ id: string }>("POST", "/api/v1/groups", {
      profile: { name: "Engineering", description: "Builds things" },
    });
    await api("POST", "/api/v1/groups", { profile: { name: "HR Portal Push", description: "Pushed to HR Portal" } });
    for (const [first, last] of [
      ["Grace", "Hopper"],
      ["Alan", "Turing"],
    ]) {
      const member = await createUser(first, last);
      await api("PUT", `/api/v1/groups/${engineering.id}/users/${member.id}`);
    }
    await inBatches(ROADBLOCK_USERS, 10, async (i) => {
      const lastName = `Member${String(i).padStart(3, "0")}`;
      const user = await createUser("Staff", lastName);
      await api("POST", `/api/v1/apps/${appId}/users`, { id: user.id });
      await downstreamUser(`staff.${lastName.toLowerCase()}@example.com`, "Staff", lastName);
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([worker?.stop(), scim?.close()]);
  });

  it("signs in with an API token kept in an HttpOnly cookie, never in storage", async () => {
    await page.goto(`${worker.url}/admin`);
    await expect.poll(() => page.url()).toContain("/admin/sign-in");
    await page.getByLabel("API token").fill("wrong-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => banner().textContent()).toContain("That API token is not valid.");

    await page.getByLabel("API token").fill(SDK_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Applications" }).waitFor();
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: "provisio_admin", httpOnly: true, sameSite: "Strict", path: "/admin" });
    expect(cookie.value).not.toContain(SDK_TOKEN);
    const stored = await page.evaluate<string>(
      "JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie",
    );
    expect(stored).not.toContain(SDK_TOKEN);
    expect(await page.content()).not.toContain(SDK_TOKEN);
  });

  it("finds the app by search and opens its Assignments tab", async () => {
    await page.getByLabel("Search applications").fill("HR");
    await page.getByLabel("Search applications").press("Enter");
    await expect.poll(() => page.locator("tbody tr").count()).toBe(1);
    await page.getByRole("link", { name: "HR Portal" }).click();
    await page.getByRole("link", { name: "Assignments", exact: true }).waitFor();
    expect(await page.getByRole("link", { name: "Assignments", exact: true }).getAttribute("aria-current")).toBe("page");
  });

  it("assigns a person and a group through the search pickers", async () => {
    await page.getByRole("link", { name: "Assign to People" }).click();
    await page.getByLabel("Search people").fill("ada");
    await page.getByLabel("Search people").press("Enter");
    await page.getByRole("button", { name: "Assign Ada Lovelace" }).click();
    await expect.poll(() => banner().textContent()).toContain("Assigned ada.lovelace@example.com");
    await page.getByRole("link", { name: "Done" }).click();

    await page.getByRole("link", { name: "Assign to Groups" }).click();
    await page.getByLabel("Search groups").fill("Engi");
    await page.getByLabel("Search groups").press("Enter");
    await page.getByRole("button", { name: "Assign Engineering" }).click();
    await expect.poll(() => banner().textContent()).toContain("Group assigned");
    await page.getByRole("link", { name: "Done" }).click();

    const row = (name: string) => page.locator("tr", { hasText: name });
    await expect.poll(() => row("Ada Lovelace").textContent()).toContain("Directly");
    await expect.poll(() => row("Grace Hopper").textContent()).toContain("By group");
    await expect.poll(() => row("Alan Turing").textContent()).toContain("By group");
    await page.getByRole("link", { name: "Groups", exact: true }).click();
    await expect.poll(() => page.locator("#groups-heading + table").textContent()).toContain("Engineering");
    expect(await page.locator("#people-heading").count()).toBe(0);
    await page.getByRole("link", { name: "All", exact: true }).click();
    await screenshot("assignments");
  });

  it("marks people already assigned in the people picker, and says what assigning again changes", async () => {
    await page.getByRole("link", { name: "Assign to People" }).click();
    const row = (name: string) => page.locator("tr", { hasText: name });
    for (const [query, name, mark] of [
      ["ada", "Ada Lovelace", "✓ Assigned directly"],
      ["alan", "Alan Turing", "✓ Assigned by group Engineering"],
      ["grace", "Grace Hopper", "✓ Assigned by group Engineering"],
      ["staff", "Staff Member000", "✓ Assigned directly"],
    ]) {
      await page.getByLabel("Search people").fill(query);
      await page.getByLabel("Search people").press("Enter");
      await expect.poll(() => row(name).locator(".assigned-mark").textContent()).toBe(mark);
    }
    await page.getByLabel("Search people").fill("alan");
    await page.getByLabel("Search people").press("Enter");
    await screenshot("people-picker");
    await page.getByRole("link", { name: "Assign directly: Alan Turing" }).click();
    await page.getByRole("heading", { name: "Assign Alan Turing to HR Portal directly?" }).waitFor();
    expect(await page.locator("#assign-changes").textContent()).toContain(
      "Alan Turing is assigned by group Engineering: assigning directly makes the assignment USER-scoped (Administrator overrides group).",
    );
    await page.getByRole("button", { name: "Assign directly" }).click();
    await expect
      .poll(() => banner().textContent())
      .toContain("Alan Turing is now assigned directly (USER scope; Administrator overrides group). Engineering still grants the app too.");
    await expect
      .poll(() => row("Alan Turing").locator(".assigned-mark").textContent())
      .toBe("✓ Assigned directly (and by group Engineering)");
    await page.getByRole("link", { name: "Done" }).click();
    await expect.poll(() => row("Alan Turing").textContent()).toContain("Directly");
  });

  it("edits a custom attribute, sees it overridden, and resets it to the default", async () => {
    await page.getByRole("link", { name: "Edit assignment of Ada Lovelace" }).click();
    const nickRow = page.locator("tr", { hasText: "nickName" });
    await expect.poll(() => nickRow.textContent()).toMatch(/Ada\s*Default/);
    await page.getByRole("textbox", { name: "Nickname" }).fill("Countess");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => banner().textContent()).toContain("Assignment saved.");
    await expect.poll(() => nickRow.textContent()).toContain("Overridden");
    expect(await page.getByRole("textbox", { name: "Nickname" }).inputValue()).toBe("Countess");
    expect((await api("GET", `/api/v1/apps/${appId}/users/${await userId("ada.lovelace@example.com")}`)).profile.nickName).toBe("Countess");
    await screenshot("edit-assignment");

    await page.getByRole("button", { name: "Reset Nickname to default" }).click();
    await expect.poll(() => banner().textContent()).toContain("nickName reset to its default.");
    expect(await page.getByRole("textbox", { name: "Nickname" }).inputValue()).toBe("Ada");
    await expect.poll(() => nickRow.textContent()).toMatch(/Ada\s*Default/);
  });

  it("unassigns after a confirmation, and shows the API's refusal for a group-granted user", async () => {
    await page.getByRole("link", { name: "Back to assignments" }).click();
    await page.getByRole("link", { name: "Unassign Grace Hopper" }).click();
    await page.getByRole("button", { name: "Unassign" }).click();
    await expect.poll(() => banner().textContent()).toContain("Deactivate application for user forbidden. (E0000046)");

    await page.getByRole("link", { name: "Unassign Ada Lovelace" }).click();
    await page.getByRole("heading", { name: "Unassign Ada Lovelace from HR Portal?" }).waitFor();
    await page.getByRole("button", { name: "Unassign" }).click();
    await expect.poll(() => banner().textContent()).toContain("User unassigned.");
    expect(await page.locator("tr", { hasText: "Ada Lovelace" }).count()).toBe(0);
  });

  it("connects the app over SCIM and tests the API credentials", async () => {
    await page.getByRole("link", { name: "Provisioning" }).click();
    await page.getByLabel("SCIM connector base URL").fill(`${tenantRoot}/scim/v2`);
    await page.getByLabel("Token", { exact: true }).fill(SCIM_TOKEN);
    await page.getByRole("button", { name: "Save connection" }).click();
    await expect.poll(() => banner().textContent()).toContain("Connection saved.");
    expect(await page.getByLabel("Token", { exact: true }).inputValue()).toBe("");
    await page.getByRole("button", { name: "Test API Credentials" }).click();
    await expect.poll(() => banner().textContent()).toContain("API credentials verified.");

    // Import rules: exact match by email, nothing auto-confirmed, so the plan waits for review.
    await page.getByLabel("Imported user is an exact match when").selectOption("EMAIL");
    await page.getByLabel("Auto-confirm exact matches").check();
    await page.getByRole("button", { name: "Save To Okta" }).click();
    await expect.poll(() => banner().textContent()).toContain("To Okta settings saved.");
    expect(await page.getByLabel("Imported user is an exact match when").inputValue()).toBe("EMAIL");
    await screenshot("provisioning");
  });

  it("imports with live progress, confirms selected rows of the plan", async () => {
    // Downstream: the app's staff (matched exactly by email and auto-confirmed) plus three
    // contractors Okta does not know, served in two slow pages so the progress can be watched.
    await setFaults([{ method: "GET", path: "^/Users\\?", kind: "delay", delayMs: 1500, times: 2 }]);
    await inBatches(3, 3, (i) => downstreamUser(`contractor${i}@example.com`, "Contractor", `N${i}`));

    await page.getByRole("link", { name: "Import", exact: true }).click();
    await page.getByRole("button", { name: "Import Now" }).click();
    await expect.poll(() => banner().textContent()).toContain("started");
    // The counts move while the page stays the same document; it reloads once the session stops.
    await page.evaluate("window.__sameDocument = true");
    const fetched = page.locator('#import-progress dd[data-count="fetched"]');
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          if (await page.evaluate<boolean>("window.__sameDocument === true")) seen.add((await fetched.textContent()) ?? "");
          return seen.size;
        },
        { timeout: 15_000, interval: 200 },
      )
      .toBeGreaterThanOrEqual(2);
    await expect.poll(() => page.locator("#import-progress").textContent(), { timeout: 30_000 }).toContain("AWAITING_CONFIRMATION");
    expect(await page.locator('#import-progress dd[data-count="exact"]').textContent()).toBe(String(ROADBLOCK_USERS));

    await page.getByRole("link", { name: "New", exact: true }).click();
    await page.getByLabel("Select contractor0@example.com").check();
    await page.getByLabel("Select contractor1@example.com").check();
    await screenshot("import");
    await page.getByRole("button", { name: "Confirm selected" }).click();
    await expect.poll(() => banner().textContent()).toContain("2 rows confirmed.");
    await expect.poll(() => contractorsInOkta(), { timeout: 20_000 }).toEqual(["contractor0@example.com", "contractor1@example.com"]);
    await page.getByRole("button", { name: "Cancel this import" }).click();
    await expect.poll(() => banner().textContent()).toContain("Import cancelled.");
    expect(await contractorsInOkta()).toHaveLength(2);
  });

  it("stops an import at the safeguard roadblock with nothing changed, and resumes it", async () => {
    // 60 of the 110 linked staff disappear downstream: unassigning them is over the 20% limit.
    const state = (await (await fetch(`${tenantRoot}/__state`)).json()) as any;
    const gone = state.users.filter((u: any) => u.userName.startsWith("staff.member")).slice(0, 60);
    await inBatches(gone.length, 10, (i) =>
      fetch(`${tenantRoot}/scim/v2/Users/${gone[i].id}`, { method: "DELETE", headers: { Authorization: `Bearer ${SCIM_TOKEN}` } }),
    );

    await page.getByRole("button", { name: "Import Now" }).click();
    const roadblock = page.locator(".banner", { hasText: "Imports are paused" });
    await expect.poll(async () => (await page.reload(), roadblock.count()), { timeout: 30_000, interval: 500 }).toBe(1);
    expect(await roadblock.textContent()).toContain("would unassign 60 users");
    await page.getByRole("link", { name: "Unassign", exact: true }).click();
    expect(await page.locator("tr", { hasText: "UNASSIGN" }).count()).toBe(60);
    expect(await assignedDirectly()).toBe(ROADBLOCK_USERS);
    await screenshot("import-roadblock");

    await page.getByRole("button", { name: "Resume import" }).click();
    await expect.poll(() => banner().textContent()).toContain("Safeguard overridden");
    await expect.poll(() => assignedDirectly(), { timeout: 30_000 }).toBe(ROADBLOCK_USERS - 60);
    await expect
      .poll(() =>
        api("GET", "/api/v1/import-roadblock").then(
          () => "present",
          () => "gone",
        ),
      )
      .toBe("gone");
    await page.reload();
    expect(await page.locator(".banner", { hasText: "Imports are paused" }).count()).toBe(0);
  });

  it("pushes a group by name, shows its status, and unlinks it keeping the app group", async () => {
    await page.getByRole("link", { name: "Push Groups" }).click();
    expect(await page.locator("#same-group-rule").textContent()).toContain("Groups assigned to this app now: Engineering");
    await page.getByLabel("Okta group name").fill("Engineering");
    await page.getByRole("button", { name: "Push group" }).click();
    await expect.poll(() => banner().textContent()).toContain("E0000027");

    await page.getByLabel("Okta group name").fill("HR Portal Push");
    await page.getByRole("button", { name: "Push group" }).click();
    await expect.poll(() => banner().textContent()).toContain("HR Portal Push is being pushed.");
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.locator("tr", { hasText: "HR Portal Push" }).textContent();
        },
        { timeout: 20_000, interval: 500 },
      )
      .not.toContain("not created yet");
    await screenshot("push-groups");

    await page.getByRole("link", { name: "Unlink HR Portal Push" }).click();
    await page.getByLabel("Leave the group in the app").check();
    await page.getByRole("button", { name: "Unlink" }).click();
    await expect.poll(() => banner().textContent()).toContain("the group stays in the app");
    const downstream = (await (await fetch(`${tenantRoot}/__state`)).json()) as any;
    expect(downstream.groups.map((g: any) => g.displayName)).toContain("HR Portal Push");
  });

  it("is usable from the keyboard: skip link first, then visible focus on controls", async () => {
    await page.goto(`${worker.url}/admin/apps`);
    await page.keyboard.press("Tab");
    expect(await page.evaluate<string>("document.activeElement.textContent")).toBe("Skip to content");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Tab");
    expect(await page.evaluate<string>("document.activeElement.id")).toBe("app-search");
    const outline = await page.evaluate<string>("getComputedStyle(document.activeElement).outlineStyle");
    expect(outline).toBe("solid");
  });

  it("ends sessions on the server: a copied cookie after sign-out, another browser after Sign out everywhere", async () => {
    await page.goto(`${worker.url}/admin/apps`);
    const [cookie] = await page.context().cookies();
    // A copy of the cookie in another browser works while the session lives...
    const copy = await browser.newContext();
    await copy.addCookies([cookie]);
    const copied = await copy.newPage();
    await copied.goto(`${worker.url}/admin/apps`);
    await copied.getByRole("heading", { name: "Applications" }).waitFor();
    // ...and gets the sign-in page once this browser signs out.
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await expect.poll(() => page.url()).toContain("/admin/sign-in");
    await copied.goto(`${worker.url}/admin/apps`);
    await expect.poll(() => copied.url()).toContain("/admin/sign-in");
    expect(await copied.locator(".banner").first().textContent()).toContain("Your session has ended");

    // Two browsers signed in with the same token; Sign out everywhere in one ends the other.
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    for (const p of [page, otherPage]) {
      await p.goto(`${worker.url}/admin/sign-in`);
      await p.getByLabel("API token").fill(SDK_TOKEN);
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.getByRole("heading", { name: "Applications" }).waitFor();
    }
    await page.getByRole("button", { name: "Sign out everywhere" }).click();
    await expect.poll(() => banner().textContent()).toContain("Signed out of every console session that used this API token.");
    await otherPage.reload();
    await expect.poll(() => otherPage.url()).toContain("/admin/sign-in");
    await Promise.all([copy.close(), other.close()]);
  });

  async function setFaults(faults: unknown[]) {
    await fetch(`${tenantRoot}/__faults`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(faults),
    });
  }

  async function downstreamUser(email: string, givenName: string, familyName: string) {
    const response = await fetch(`${tenantRoot}/scim/v2/Users`, {
      method: "POST",
      headers: { "Content-Type": "application/scim+json", Authorization: `Bearer ${SCIM_TOKEN}` },
      body: JSON.stringify({
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
        userName: email,
        name: { givenName, familyName },
        emails: [{ value: email, primary: true }],
        active: true,
      }),
    });
    expect(response.status).toBe(201);
  }

  async function contractorsInOkta(): Promise<string[]> {
    const users = await api<any[]>("GET", `/api/v1/users?search=${encodeURIComponent('profile.login sw "contractor"')}`);
    return users.map((u) => u.profile.login).sort();
  }

  /** Staff members still assigned to the app (the users the safeguard protects). */
  async function assignedDirectly(): Promise<number> {
    const appUsers = await api<any[]>("GET", `/api/v1/apps/${appId}/users?limit=500`);
    return appUsers.filter((u) => u.scope === "USER" && u.credentials.userName?.startsWith("staff.")).length;
  }

  async function userId(login: string): Promise<string> {
    return (await api<{ id: string }>("GET", `/api/v1/users/${encodeURIComponent(login)}`)).id;
  }
});
