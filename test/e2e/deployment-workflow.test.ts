import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SDK_TOKEN, startLocalWorker, type LocalWorker } from "../node/local-worker";
import { SCIM_TOKEN, startScimServer } from "../scim/scim-server";
import { launchChromium } from "./browser";

// Seed 003 in a real browser: the admin finds or builds the app integration (App Catalog, App
// Integration Wizard), makes a separate instance for provisioning, and users open what they were
// given on My Apps.

const SCREENSHOTS = join("test", "e2e", "screenshots");
const PASSWORD = "My-Apps-Password-9";

let worker: LocalWorker;
let scim: { origin: string; close: () => Promise<void> };
let browser: Browser;
let admin: Page;

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

const banner = (page: Page) => page.locator(".banner, .notice").first();

describe("seed 003 in Chromium: catalog, wizard, separate instance, My Apps", () => {
  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    [worker, scim, browser] = await Promise.all([startLocalWorker({ DOWNSTREAM_ACCESS: "local" }), startScimServer(), launchChromium()]);
    admin = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await admin.goto(`${worker.url}/admin/sign-in`);
    await admin.getByLabel("API token").fill(SDK_TOKEN);
    await admin.getByRole("button", { name: "Sign in" }).click();
    await admin.getByRole("heading", { name: "Applications" }).waitFor();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([worker?.stop(), scim?.close()]);
  });

  it("searches the App Catalog and adds Slack, after showing the API's error for a bad subdomain", async () => {
    await admin.getByRole("link", { name: "Browse App Catalog" }).click();
    await admin.getByLabel("Search the catalog").fill("slack");
    await admin.getByLabel("Search the catalog").press("Enter");
    await expect.poll(() => admin.locator("li.catalog-entry").count()).toBe(1);
    await admin.screenshot({ path: join(SCREENSHOTS, "catalog.png") });
    await admin.getByRole("link", { name: "Add Slack" }).click();
    await admin.getByLabel("Application label").fill("Slack (Acme)");
    await admin.getByLabel("Workspace subdomain (required)").fill("Acme Corp!");
    await admin.getByRole("button", { name: "Add Slack" }).click();
    await expect.poll(() => banner(admin).textContent()).toContain("E0000001");
    expect(await banner(admin).textContent()).toContain('settings.app.domain: "Acme Corp!" is not a valid Workspace subdomain');
    await admin.getByLabel("Workspace subdomain (required)").fill("acme");
    await admin.getByRole("button", { name: "Add Slack" }).click();
    await expect.poll(() => banner(admin).textContent()).toContain("Added Slack (Acme) from the catalog.");
    expect(admin.url()).toMatch(/\/admin\/apps\/0oa[^/]+\/provisioning$/);
    expect(await admin.getByLabel("SCIM connector base URL").inputValue()).toBe("https://api.slack.com/scim/v2");
    expect(await admin.locator("text=This app is an instance of Slack from the App Catalog").count()).toBe(1);
  });

  it("builds a private SCIM integration with the App Integration Wizard and makes a separate instance for provisioning", async () => {
    const tenant = `${scim.origin}/t/wizard${Date.now()}/scim/v2`;
    await admin.getByRole("link", { name: "Applications", exact: true }).first().click();
    await admin.getByRole("link", { name: "Create App Integration" }).click();
    await admin.getByRole("radio", { name: /^SAML 2\.0/ }).check();
    await admin.getByRole("button", { name: "Next" }).click();
    await admin.getByLabel("App integration name").fill("Half-configured SAML");
    await admin.getByRole("button", { name: "Create" }).click();
    await expect.poll(() => banner(admin).textContent()).toContain("settings.signOn.ssoAcsUrl: required for SAML_2_0 apps");

    await admin.getByRole("link", { name: "Back" }).click();
    await admin.getByRole("radio", { name: /^SWA/ }).check();
    await admin.getByRole("button", { name: "Next" }).click();
    await admin.getByLabel("App integration name").fill("Expense Tracker");
    await admin.getByLabel("Login URL").fill("https://expenses.example.com/login");
    await admin.getByLabel("Enable SCIM provisioning").check();
    await admin.getByLabel("SCIM connector base URL").fill(tenant);
    await admin.getByRole("radio", { name: "HTTP header (Bearer token)" }).check();
    await admin.getByLabel("Token / header value").fill(SCIM_TOKEN);
    await admin.screenshot({ path: join(SCREENSHOTS, "wizard.png") });
    await admin.getByRole("button", { name: "Create" }).click();
    await expect
      .poll(() => banner(admin).textContent())
      .toContain("Created Expense Tracker with SCIM provisioning. API credentials verified.");
    expect(await admin.getByLabel("SCIM connector base URL").inputValue()).toBe(tenant);
    expect(await admin.content()).not.toContain(SCIM_TOKEN);

    // The seed's reason for a separate instance is on the page that makes one.
    await admin.getByRole("link", { name: "Create a separate instance" }).click();
    expect(await admin.locator("#separate-instance-reason").textContent()).toContain(
      "Create a separate instance of an app integration intended only for Okta provisioning",
    );
    await admin.getByLabel("Label of the new instance").fill("Expense Tracker (provisioning)");
    await admin.getByRole("button", { name: "Create separate instance" }).click();
    await expect.poll(() => banner(admin).textContent()).toContain("Credentials are never copied");
    expect(await admin.getByRole("heading", { level: 1 }).textContent()).toContain("Expense Tracker (provisioning)");
    expect(await admin.getByLabel("SCIM connector base URL").inputValue()).toBe(tenant);
    await admin.screenshot({ path: join(SCREENSHOTS, "separate-instance.png") });
  });

  describe("My Apps", () => {
    let user: { id: string; profile: { login: string } };
    let direct: { id: string; label: string };
    let byGroup: { id: string; label: string };
    let user2: Page;

    beforeAll(async () => {
      const stamp = Date.now();
      const login = `pat.${stamp}@example.com`;
      user = await api("POST", "/api/v1/users?activate=true", {
        profile: { firstName: "Pat", lastName: "User", email: login, login },
        credentials: { password: { value: PASSWORD } },
      });
      const group = await api<{ id: string }>("POST", "/api/v1/groups", { profile: { name: `Finance ${stamp}` } });
      await api("PUT", `/api/v1/groups/${group.id}/users/${user.id}`);
      direct = await api("POST", "/api/v1/apps", {
        label: "Team Wiki",
        signOnMode: "BOOKMARK",
        settings: { app: { url: `${worker.url}/` } },
      });
      byGroup = await api("POST", "/api/v1/apps", {
        label: "Payroll",
        signOnMode: "BOOKMARK",
        settings: { app: { url: `${worker.url}/` } },
      });
      await api("POST", `/api/v1/apps/${direct.id}/users`, { id: user.id });
      await api("PUT", `/api/v1/apps/${byGroup.id}/groups/${group.id}`);
      user2 = await (await browser.newContext({ viewport: { width: 1100, height: 700 } })).newPage();
    });

    const tiles = () => user2.locator("li.tile .label").allTextContents();

    it("refuses a wrong password, then shows tiles for the direct and the group assignment", async () => {
      await user2.goto(`${worker.url}/my-apps`);
      await expect.poll(() => user2.url()).toContain("/my-apps/sign-in");
      await user2.getByLabel("Username").fill(user.profile.login);
      await user2.getByLabel("Password").fill("not-my-password");
      await user2.getByRole("button", { name: "Sign in" }).click();
      await expect.poll(() => banner(user2).textContent()).toContain("Sign-in failed. Check your username and password.");
      expect(await user2.context().cookies()).toEqual([]);

      await user2.getByLabel("Password").fill(PASSWORD);
      await user2.getByRole("button", { name: "Sign in" }).click();
      await user2.getByRole("heading", { name: "My Apps" }).waitFor();
      expect(await tiles()).toEqual(["Team Wiki", "Payroll"]);
      const [cookie] = await user2.context().cookies();
      expect(cookie).toMatchObject({ name: "provisio_my_apps", httpOnly: true, sameSite: "Strict" });
      await user2.screenshot({ path: join(SCREENSHOTS, "my-apps.png") });

      await user2.getByLabel("Search your apps").fill("pay");
      await user2.getByLabel("Search your apps").press("Enter");
      await expect.poll(tiles).toEqual(["Payroll"]);
      await user2.getByRole("link", { name: "Clear" }).click();
      await user2.getByRole("button", { name: "Move Payroll earlier" }).click();
      await expect.poll(tiles).toEqual(["Payroll", "Team Wiki"]);
    });

    it("loses an app unassigned or deactivated meanwhile, and opens the ones it keeps", async () => {
      await api("DELETE", `/api/v1/apps/${direct.id}/users/${user.id}`);
      await user2.reload();
      await expect.poll(tiles).toEqual(["Payroll"]);
      await user2.getByRole("link", { name: "Payroll" }).click();
      await expect.poll(() => user2.url()).toBe(`${worker.url}/`);
      await api("POST", `/api/v1/apps/${byGroup.id}/lifecycle/deactivate`);
      await user2.goto(`${worker.url}/my-apps`);
      await expect.poll(() => user2.locator("#no-apps").textContent()).toContain("You have no apps yet.");
    });

    it("sends a suspended user back to sign-in, with nothing to see", async () => {
      await api("POST", `/api/v1/apps/${byGroup.id}/lifecycle/activate`);
      await api("POST", `/api/v1/users/${user.id}/lifecycle/suspend`);
      await user2.goto(`${worker.url}/my-apps`);
      await expect.poll(() => user2.url()).toContain("/my-apps/sign-in");
      expect(await user2.locator("li.tile").count()).toBe(0);
    });
  });
});
