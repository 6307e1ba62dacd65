import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, links, pathOf, unique, type ApiResponse } from "../helpers/api";
import { SCIM_TOKEN, scimTenant } from "../helpers/scim";

const CATALOG = "/api/v1/catalog/apps";

async function allCatalogNames(query: string): Promise<string[]> {
  const names: string[] = [];
  let path: string | undefined = `${CATALOG}?${query}`;
  while (path) {
    const page: ApiResponse = await api("GET", path);
    expect(page.status).toBe(200);
    names.push(...page.body.map((entry: { name: string }) => entry.name));
    const next: string | undefined = links(page.headers).next;
    path = next ? pathOf(next) : undefined;
  }
  return names;
}

describe("integration catalog (GET /api/v1/catalog/apps)", () => {
  it("pages through every template in name order with Link headers that keep the query", async () => {
    const first = await api("GET", `${CATALOG}?limit=5`);
    expect(first.status).toBe(200);
    expect(first.body).toHaveLength(5);
    expect(first.headers.get("X-Provisio-Catalog-Version")).toMatch(/^\d{4}\.\d{2}\.\d+$/);
    const next = links(first.headers).next;
    expect(next).toContain("limit=5");
    expect(links(first.headers).self).toBe("http://provisio.test/api/v1/catalog/apps?limit=5");

    const names = await allCatalogNames("limit=5");
    expect(names).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(13);
    expect(names).toEqual(
      expect.arrayContaining(["scim2testapp", "scim2testappbasic", "scim2testappheader", "slack", "zoomus", "salesforce"]),
    );
    // Ten SaaS apps besides the three generic SCIM test apps.
    expect(names.filter((name) => !name.startsWith("scim2")).length).toBeGreaterThanOrEqual(10);
  });

  it("describes each template: sign-on modes, the settings an instance takes, provisioning offered, schema and mappings", async () => {
    const [slack] = (await api("GET", `${CATALOG}?q=slack`)).body;
    expect(slack).toMatchObject({
      name: "slack",
      displayName: "Slack",
      signOnModes: ["SAML_2_0", "BROWSER_PLUGIN"],
      settings: { domain: { title: "Workspace subdomain", required: true } },
      baseUrl: "https://{domain}.slack.com/",
      provisioning: {
        scimBaseUrl: "https://api.slack.com/scim/v2",
        authSchemes: ["TOKEN"],
        toApp: { create: true, profile: true, deactivate: true, password: false },
        toOkta: true,
        defaults: { create: { lifecycleCreate: { status: "ENABLED" } } },
      },
      appUserSchema: { title: { type: "string", externalName: "title" } },
      mappings: { title: { expression: "user.title", pushStatus: "PUSH" } },
      _links: { create: { href: "http://provisio.test/api/v1/apps", hints: { allow: ["POST"] } } },
    });
    const logo = await exports.default.fetch(new Request(slack._links.logo[0].href));
    expect(logo.status).toBe(200);
    expect(logo.headers.get("Content-Type")).toBe("image/svg+xml");
    expect(await logo.text()).toContain(">Sl</text>");
  });

  it("searches by words of the name, key and categories", async () => {
    expect(await allCatalogNames("q=scim")).toEqual(["scim2testapp", "scim2testappbasic", "scim2testappheader"]);
    expect(await allCatalogNames("q=scim%20basic")).toEqual(["scim2testappbasic"]);
    expect(await allCatalogNames("q=video")).toEqual(["zoomus"]);
    expect(await allCatalogNames("q=GitHub")).toEqual(["githubcloud"]);
    expect(await allCatalogNames(`q=${unique("nothing")}`)).toEqual([]);
    // A search pages like any list: the next link keeps q.
    const page = await api("GET", `${CATALOG}?q=scim&limit=2`);
    expect(page.body).toHaveLength(2);
    expect(links(page.headers).next).toContain("q=scim");
  });

  it("answers bad paging with Okta's errors", async () => {
    const cursor = await api("GET", `${CATALOG}?after=not-a-cursor`);
    expect(cursor.status).toBe(400);
    expect(cursor.body.errorCode).toBe("E0000029");
    const limit = await api("GET", `${CATALOG}?limit=zero`);
    expect(limit.status).toBe(400);
    expect(limit.body.errorCode).toBe("E0000001");
  });
});

describe("creating an app from the catalog (POST /api/v1/apps with a catalog name)", () => {
  it("makes an instance with the template's sign-on settings, schema and mappings", async () => {
    const created = await api("POST", "/api/v1/apps", {
      name: "slack",
      label: "Slack (Acme)",
      signOnMode: "SAML_2_0",
      settings: { app: { domain: "acme" } },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      name: "slack",
      label: "Slack (Acme)",
      status: "ACTIVE",
      signOnMode: "SAML_2_0",
      features: [],
      settings: { app: { domain: "acme" }, signOn: { ssoAcsUrl: "https://acme.slack.com/sso/saml", audience: "https://slack.com" } },
      _links: { logo: [{ name: "medium", href: "http://provisio.test/logos/slack.svg", type: "image/svg+xml" }] },
    });
    const appId = created.body.id;
    const schema = await api("GET", `/api/v1/meta/schemas/apps/${appId}/default`);
    expect(Object.keys(schema.body.definitions.custom.properties).sort()).toEqual(["department", "title"]);
    const [mapping] = (await api("GET", `/api/v1/mappings?targetId=${appId}`)).body;
    const full = await api("GET", `/api/v1/mappings/${mapping.id}`);
    expect(full.body.properties).toMatchObject({ title: { expression: "user.title", pushStatus: "PUSH" } });
  });

  it("refuses what the template does not accept, naming each problem", async () => {
    const missing = await api("POST", "/api/v1/apps", { name: "slack", label: "Slack", signOnMode: "SAML_2_0" });
    expect(missing.status).toBe(400);
    expect(missing.body.errorCode).toBe("E0000001");
    expect(missing.body.errorCauses.map((c: { errorSummary: string }) => c.errorSummary)).toEqual([
      "settings.app.domain: required (Workspace subdomain, for example acme)",
    ]);
    const wrong = await api("POST", "/api/v1/apps", {
      name: "slack",
      label: "Slack",
      signOnMode: "BOOKMARK",
      settings: { app: { domain: "not a domain!" } },
    });
    expect(wrong.status).toBe(400);
    const causes = wrong.body.errorCauses.map((c: { errorSummary: string }) => c.errorSummary);
    expect(causes[0]).toBe("signOnMode: Slack (slack) supports SAML_2_0, BROWSER_PLUGIN");
    expect(causes[1]).toContain("settings.app.domain");
  });

  it("keeps today's rules for names that are not in the catalog", async () => {
    const name = `custom_${unique()}`.toLowerCase();
    const custom = await api("POST", "/api/v1/apps", {
      name,
      label: "Not in the catalog",
      signOnMode: "BOOKMARK",
      settings: { app: { url: "https://intranet.example.com/" } },
    });
    expect(custom.status).toBe(200);
    expect(custom.body.name).toBe(name);
    const noUrl = await api("POST", "/api/v1/apps", { name: `${name}x`, label: "No URL", signOnMode: "BOOKMARK" });
    expect(noUrl.status).toBe(400);
    expect(noUrl.body.errorCauses[0].errorSummary).toContain("settings.app.url");
  });

  it("offers only the template's provisioning features, with its defaults once the connection is entered", async () => {
    const scim = scimTenant();
    const app = (
      await api("POST", "/api/v1/apps", {
        name: "zoomus",
        label: "Zoom",
        signOnMode: "SAML_2_0",
        settings: { app: { subDomain: "acme" } },
      })
    ).body;
    const basic = await api("POST", `/api/v1/apps/${app.id}/connections/default`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "BASIC", username: "scim-admin", password: "scim-secret" },
    });
    expect(basic.status).toBe(400);
    expect(basic.body.errorCauses[0].errorSummary).toBe("profile.authScheme: this app integration authenticates with TOKEN");
    const saved = await api("POST", `/api/v1/apps/${app.id}/connections/default`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "TOKEN", token: SCIM_TOKEN },
    });
    expect(saved.status).toBe(200);
    const feature = await api("GET", `/api/v1/apps/${app.id}/features/USER_PROVISIONING`);
    expect(feature.body.capabilities).toMatchObject({
      create: { lifecycleCreate: { status: "ENABLED" } },
      update: { profile: { status: "ENABLED" }, lifecycleDeactivate: { status: "ENABLED" }, password: { status: "DISABLED" } },
    });
    expect((await api("GET", `/api/v1/apps/${app.id}`)).body.features).toEqual(
      expect.arrayContaining(["PUSH_NEW_USERS", "PUSH_PROFILE_UPDATES", "PUSH_USER_DEACTIVATION"]),
    );
    const password = await api("PUT", `/api/v1/apps/${app.id}/features/USER_PROVISIONING`, {
      update: { password: { status: "ENABLED", seed: "OKTA", change: "CHANGE" } },
    });
    expect(password.status).toBe(400);
    expect(password.body.errorCauses[0].errorSummary).toBe("capabilities.update.password: this app integration does not support it");
    // Zoom offers no Group Push.
    const group = (await api("POST", "/api/v1/groups", { profile: { name: unique("Push ") } })).body;
    const push = await api("POST", `/api/v1/apps/${app.id}/group-push/mappings`, { sourceGroupId: group.id, targetGroupName: "x" });
    expect(push.status).toBe(400);
    expect(push.body.errorCauses[0].errorSummary).toBe("This app integration does not support Group Push.");
  });

  it("connects the Header Auth test app with an Authorization header sent as entered", async () => {
    const scim = scimTenant();
    const app = (
      await api("POST", "/api/v1/apps", {
        name: "scim2testappheader",
        label: "SCIM header",
        signOnMode: "BOOKMARK",
        settings: { app: { url: "https://scim-app.example.com/", baseUrl: scim.baseUrl } },
      })
    ).body;
    expect(app.settings.app.url).toBe("https://scim-app.example.com/");
    const token = await api("POST", `/api/v1/apps/${app.id}/connections/default`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "TOKEN", token: SCIM_TOKEN },
    });
    expect(token.status).toBe(400);
    const header = await api("POST", `/api/v1/apps/${app.id}/connections/default`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "HEADER", token: `Bearer ${SCIM_TOKEN}` },
    });
    expect(header.status).toBe(200);
    expect(JSON.stringify(header.body)).not.toContain(SCIM_TOKEN);
    expect((await api("POST", `/api/v1/apps/${app.id}/connections/default/test`)).body.status).toBe("SUCCESS");
    const split = await api("POST", `/api/v1/apps/${app.id}/connections/default`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "HEADER", token: "Bearer x\r\nX-Injected: 1" },
    });
    expect(split.status).toBe(400);
  });
});
