import { describe, expect, it } from "vitest";
import { api, createApp, unique } from "../helpers/api";
import { ConsoleClient, textOf } from "../helpers/console";
import { SCIM_TOKEN, scimTenant } from "../helpers/scim";

async function signedIn() {
  const browser = new ConsoleClient();
  expect((await browser.signIn()).status).toBe(303);
  await browser.get("/admin/apps");
  return browser;
}

const appIdFrom = (location: string | null) => /\/admin\/apps\/([^/]+)\/provisioning/.exec(location ?? "")?.[1];

describe("Browse App Catalog (console)", () => {
  it("searches the catalog and adds an instance, showing the API's errors on the form", async () => {
    const browser = await signedIn();
    const search = await browser.get("/admin/catalog?q=zoom");
    expect(textOf(search.html)).toContain("Zoom");
    expect(search.html).toContain('href="/admin/catalog/zoomus/add"');
    expect(search.html).not.toContain('href="/admin/catalog/slack/add"');

    const form = await browser.get("/admin/catalog/zoomus/add");
    expect(textOf(form.html)).toContain("Vanity subdomain (required)");
    const refused = await browser.request("POST", "/admin/catalog/zoomus/add", {
      _csrf: browser.csrf,
      label: "Zoom",
      signOnMode: "SAML_2_0",
      "setting.subDomain": "Not Valid!",
    });
    expect(refused.status).toBe(400);
    expect(textOf(refused.html)).toContain("Api validation failed: settings (E0000001)");
    expect(textOf(refused.html)).toContain('settings.app.subDomain: "Not Valid!" is not a valid Vanity subdomain');
    // What was entered stays on the form.
    expect(refused.html).toContain('value="Not Valid!"');

    const label = unique("Zoom ");
    const added = await browser.request("POST", "/admin/catalog/zoomus/add", {
      _csrf: browser.csrf,
      label,
      signOnMode: "SAML_2_0",
      "setting.subDomain": "acme",
    });
    expect(added.status).toBe(303);
    const appId = appIdFrom(added.location)!;
    const app = (await api("GET", `/api/v1/apps/${appId}`)).body;
    expect(app).toMatchObject({ name: "zoomus", label, settings: { signOn: { ssoAcsUrl: "https://acme.zoom.us/saml/SSO" } } });
    const tab = await browser.get(added.location!);
    const text = textOf(tab.html);
    expect(text).toContain(`Added ${label} from the catalog.`);
    expect(text).toContain("This app is an instance of Zoom from the App Catalog");
    expect(tab.html).toContain('value="https://api.zoom.us/scim2"');
    // Zoom authenticates with a bearer token only.
    expect(tab.html).toContain('value="TOKEN"');
    expect(tab.html).not.toContain('name="authScheme" value="BASIC"');
  });
});

describe("Create App Integration (console wizard)", () => {
  it("asks for the sign-on method, then its settings, and shows the API's errors", async () => {
    const browser = await signedIn();
    const step1 = await browser.get("/admin/apps/new");
    for (const method of ["Bookmark", "SWA (Secure Web Authentication)", "SAML 2.0", "OIDC - OpenID Connect"])
      expect(textOf(step1.html)).toContain(method);
    const step2 = await browser.get("/admin/apps/new?signOnMode=SAML_2_0");
    expect(textOf(step2.html)).toContain("Single sign-on URL");
    const refused = await browser.request("POST", "/admin/apps/new", { _csrf: browser.csrf, signOnMode: "SAML_2_0", label: "Half done" });
    expect(refused.status).toBe(400);
    const text = textOf(refused.html);
    expect(text).toContain("settings.signOn.ssoAcsUrl: required for SAML_2_0 apps");
    expect(text).toContain("settings.signOn.audience: required for SAML_2_0 apps");
    expect(refused.html).toContain('value="Half done"');
  });

  it("creates a private SCIM integration, connects and tests it, and lands on its Provisioning tab", async () => {
    const browser = await signedIn();
    const scim = scimTenant();
    const label = unique("Private SCIM ");
    const created = await browser.request("POST", "/admin/apps/new", {
      _csrf: browser.csrf,
      signOnMode: "AUTO_LOGIN",
      label,
      loginUrl: "https://private.example.com/login",
      scim: "on",
      scimBaseUrl: scim.baseUrl,
      authScheme: "TOKEN",
      scimToken: SCIM_TOKEN,
    });
    expect(created.status).toBe(303);
    const appId = appIdFrom(created.location)!;
    const tab = await browser.get(created.location!);
    expect(textOf(tab.html)).toContain(`Created ${label} with SCIM provisioning. API credentials verified.`);
    expect(tab.html).not.toContain(SCIM_TOKEN);
    expect((await api("GET", `/api/v1/apps/${appId}/connections/default`)).body).toMatchObject({
      status: "ENABLED",
      baseUrl: scim.baseUrl,
    });
    expect((await api("GET", `/api/v1/apps/${appId}`)).body).toMatchObject({ label, signOnMode: "AUTO_LOGIN" });
  });

  it("keeps the app when its connection is refused, and says why on the Provisioning tab", async () => {
    const browser = await signedIn();
    const created = await browser.request("POST", "/admin/apps/new", {
      _csrf: browser.csrf,
      signOnMode: "BOOKMARK",
      label: unique("Bookmark "),
      url: "https://bookmark.example.com/",
      scim: "on",
      scimBaseUrl: "ftp://nowhere.example.com/scim",
      authScheme: "TOKEN",
      scimToken: "t",
    });
    expect(created.status).toBe(303);
    const tab = await browser.get(created.location!);
    expect(textOf(tab.html)).toMatch(/Created .* but its SCIM connection was not saved/);
  });
});

describe("separate instance for provisioning (console)", () => {
  it("shows why, and creates the instance with the label chosen, hidden from My Apps", async () => {
    const browser = await signedIn();
    const app = await createApp({ label: unique("SSO app ") });
    const tab = await browser.get(`/admin/apps/${app.id}/provisioning`);
    expect(textOf(tab.html)).toContain("Create a separate instance of an app integration intended only for Okta provisioning");
    const page = await browser.get(`/admin/apps/${app.id}/clone`);
    expect(page.html).toContain(`value="${app.label} (Provisioning)"`);
    const made = await browser.request("POST", `/admin/apps/${app.id}/clone`, {
      _csrf: browser.csrf,
      label: "Provisioning only",
      hide: "on",
    });
    expect(made.status).toBe(303);
    const cloneId = appIdFrom(made.location)!;
    expect(cloneId).not.toBe(app.id);
    expect((await api("GET", `/api/v1/apps/${cloneId}`)).body).toMatchObject({
      label: "Provisioning only",
      visibility: { hide: { web: true } },
    });
    expect(textOf((await browser.get(made.location!)).html)).toContain("Credentials are never copied");
    const empty = await browser.request("POST", `/admin/apps/${app.id}/clone`, { _csrf: browser.csrf, label: "" });
    expect(empty.status).toBe(400);
    expect(textOf(empty.html)).toContain("E0000001");
  });
});
