import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { saveInlineHook } from "../../src/db/queries/inline-hooks";
import { api, createApp } from "../helpers/api";
import { apiWithVars } from "../helpers/env-fetch";
import { downstreamUser, IMPORT_RULES, runImport } from "../helpers/imports";
import { SCIM_TOKEN, scimTenant } from "../helpers/scim";

const hookBody = (uri: string) =>
  JSON.stringify({
    name: "Import transform",
    type: "com.okta.import.transform",
    version: "1.0.0",
    channel: { type: "HTTP", version: "1.0.0", config: { uri, method: "POST" } },
  });

// The SSRF guard of provisioning connections (src/provisioning/downstream-url.ts) covers inline hooks too.
describe("inline hook URLs", () => {
  it("refuses internal and non-https targets in production (DOWNSTREAM_ACCESS=public), naming the field", async () => {
    const production = { DOWNSTREAM_ACCESS: "public" };
    for (const uri of [
      "http://hooks.example.com/import",
      "https://169.254.169.254/latest/meta-data/",
      "https://127.0.0.1/hook",
      "https://localhost./hook",
      "https://10.0.0.7/hook",
      "https://[::ffff:127.0.0.1]/hook",
      "https://[fd00::1]/hook",
      "https://db.internal/hook",
      "https://user:secret@hooks.example.com/hook",
      "file:///etc/passwd",
      "not a url",
    ]) {
      const res = await apiWithVars(production, "POST", "/api/v1/inlineHooks", { body: hookBody(uri) });
      expect(res.status, uri).toBe(400);
      expect(res.body.errorCode, uri).toBe("E0000001");
      expect(res.body.errorSummary, uri).toBe("Api validation failed: channel.config.uri");
      expect(res.body.errorCauses[0].errorSummary, uri).toMatch(/^channel\.config\.uri: /);
    }
    const ok = await apiWithVars(production, "POST", "/api/v1/inlineHooks", { body: hookBody("https://hooks.example.com/import") });
    expect(ok.status).toBe(200);
    // A replacement is checked as well.
    const put = await apiWithVars(production, "PUT", `/api/v1/inlineHooks/${ok.body.id}`, { body: hookBody("https://10.0.0.7/hook") });
    expect(put.status).toBe(400);
  });

  it("refuses cloud metadata addresses even in local development", async () => {
    const res = await api("POST", "/api/v1/inlineHooks", JSON.parse(hookBody("http://169.254.169.254/latest/meta-data/")));
    expect(res.status).toBe(400);
    expect(res.body.errorCauses[0].errorSummary).toBe("channel.config.uri: link-local addresses are not allowed as targets");
  });

  it("checks a stored hook's URL again before calling it", async () => {
    // A row written past the API (or saved before DOWNSTREAM_ACCESS became stricter).
    const hookId = `cal${crypto.randomUUID().replace(/-/g, "").slice(0, 17)}`;
    const now = new Date();
    await saveInlineHook(createDb(env.DB), {
      id: hookId,
      name: "stale",
      type: "com.okta.import.transform",
      version: "1.0.0",
      status: "ACTIVE",
      uri: "http://169.254.169.254/latest/meta-data/",
      headers: [],
      authKey: null,
      authBox: null,
      created: now,
      lastUpdated: now,
    });
    const scim = scimTenant();
    await downstreamUser(scim, { userName: `meta.${crypto.randomUUID().slice(0, 6)}@example.com`, givenName: "Me", familyName: "Ta" });
    const app = await createApp({ settings: { app: { url: "https://example.com/" }, inlineHookId: hookId } });
    await api("POST", `/api/v1/apps/${app.id}/connections/default?activate=true`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "TOKEN", token: SCIM_TOKEN },
    });
    await api("PUT", `/api/v1/apps/${app.id}/features/INBOUND_PROVISIONING`, { importRules: { userCreateAndMatch: IMPORT_RULES } });
    const session = await runImport(app.id);
    expect(session.status).toBe("COMPLETED");
    const [item] = (await api("GET", `/api/v1/apps/${app.id}/imports/${session.id}/items`)).body;
    expect(item.detail).toContain("inline hook not called (channel.config.uri: link-local addresses are not allowed as targets)");
    expect((await scim.state()).hookRequests).toHaveLength(0);
  }, 30_000);
});
