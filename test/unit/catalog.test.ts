import { describe, expect, it } from "vitest";
import data from "../../src/catalog/integrations.json";
import { CATALOG_VERSION, findTemplate, matchesSearch, searchCatalog } from "../../src/catalog/catalog";
import { instantiate, launchUrlFor, unofferedCapabilities } from "../../src/catalog/instance";
import { catalogSchema, EVERYTHING_OFFERED, fillTemplate } from "../../src/catalog/template";
import { DomainError } from "../../src/domain/errors";
import { DEFAULT_CAPABILITIES } from "../../src/provisioning/capabilities";

const templates = catalogSchema.parse(data).templates;

/** An instance's settings made of each setting's documented example. */
function exampleSettings(name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(findTemplate(name)!.settings).flatMap(([key, s]) => (s.example ? [[key, s.example]] : [])));
}

describe("the integration catalog (data)", () => {
  it("parses, with a version, unique names, the three SCIM test apps and ten SaaS apps", () => {
    expect(CATALOG_VERSION).toBe(data.version);
    expect(new Set(templates.map((t) => t.name)).size).toBe(templates.length);
    const scimTests = templates.filter((t) => t.categories.includes("SCIM testing"));
    expect(scimTests.map((t) => t.provisioning!.offered.authSchemes)).toEqual([["TOKEN"], ["BASIC"], ["HEADER"]]);
    expect(templates.length - scimTests.length).toBeGreaterThanOrEqual(10);
  });

  it.each(templates.map((t) => [t.name]))("%s: its documented examples make a valid instance with https URLs", (name) => {
    const template = findTemplate(name)!;
    for (const mode of template.signOnModes) {
      const instance = instantiate(template, mode, { app: exampleSettings(name) });
      const signOn = instance.settings.signOn as Record<string, string>;
      for (const value of Object.values(signOn)) expect(value.startsWith("https://") || !value.includes("://"), value).toBe(true);
      expect(Object.keys(instance.mappings).every((attr) => attr in instance.custom)).toBe(true);
      expect(instance.draft?.capabilities).toEqual(template.provisioning?.defaults);
      expect(unofferedCapabilities(instance.offered, instance.draft!.capabilities)).toEqual([]);
    }
    const url = launchUrlFor(template, { app: exampleSettings(name) });
    expect(url && new URL(url).protocol).toBe("https:");
  });

  it("refuses a template whose URL names a setting it does not have, or whose defaults turn on what it does not offer", () => {
    const slack = structuredClone(data.templates.find((t) => t.name === "slack")!);
    const broken = { version: "2026.12.1", templates: [{ ...slack, baseUrl: "https://{workspace}.slack.com" }] };
    expect(catalogSchema.safeParse(broken).success).toBe(false);
    const greedy = structuredClone(slack);
    greedy.provisioning.defaults.update.password.status = "ENABLED";
    expect(catalogSchema.safeParse({ version: "2026.12.1", templates: [greedy] }).success).toBe(false);
  });
});

describe("instances of a template", () => {
  it("checks the sign-on mode and every setting, naming each problem", () => {
    const slack = findTemplate("slack")!;
    try {
      instantiate(slack, "BOOKMARK", { app: { domain: "Bad Domain" } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).causes).toEqual([
        "signOnMode: Slack (slack) supports SAML_2_0, BROWSER_PLUGIN",
        'settings.app.domain: "Bad Domain" is not a valid Workspace subdomain (for example acme)',
      ]);
    }
  });

  it("fills URL templates only when every setting they name is there", () => {
    expect(fillTemplate("https://{a}.example.com/{b}", { a: "x", b: "y" })).toBe("https://x.example.com/y");
    expect(fillTemplate("https://{a}.example.com/{b}", { a: "x" })).toBeUndefined();
    const test = findTemplate("scim2testapp")!;
    const bare = instantiate(test, "SAML_2_0", undefined);
    expect(bare.settings.signOn).toEqual({});
    expect(bare.draft?.baseUrl).toBeNull();
    const full = instantiate(test, "AUTO_LOGIN", { app: { url: "https://a.example.com/", baseUrl: "https://a.example.com/scim/v2" } });
    expect(full.settings.signOn).toEqual({ loginUrl: "https://a.example.com/" });
    expect(full.draft?.baseUrl).toBe("https://a.example.com/scim/v2");
  });

  it("names the capabilities an app does not offer", () => {
    const zoom = findTemplate("zoomus")!.provisioning!.offered;
    const all = structuredClone(DEFAULT_CAPABILITIES);
    all.update.password.status = "ENABLED";
    all.create.lifecycleCreate.status = "ENABLED";
    expect(unofferedCapabilities(zoom, all)).toEqual(["update.password"]);
    expect(unofferedCapabilities(EVERYTHING_OFFERED, all)).toEqual([]);
  });
});

describe("catalog search", () => {
  it("matches word prefixes of the display name, key and categories, all words required", () => {
    const zoom = findTemplate("zoomus")!;
    expect(matchesSearch(zoom, "zoom")).toBe(true);
    expect(matchesSearch(zoom, "VIDEO conf")).toBe(true);
    expect(matchesSearch(zoom, "zoom slack")).toBe(false);
    expect(matchesSearch(zoom, "oom")).toBe(false);
  });

  it("pages in name order after a name, with one extra row telling whether more remain", () => {
    const all = searchCatalog({ limit: 1000 });
    expect(all.map((t) => t.name)).toEqual([...all.map((t) => t.name)].sort());
    const page = searchCatalog({ limit: 2, afterName: all[0].name });
    expect(page.map((t) => t.name)).toEqual(all.slice(1, 4).map((t) => t.name));
  });
});
