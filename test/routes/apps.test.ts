import { describe, expect, it } from "vitest";
import { api, createApp, createUser, links, pathOf, unique } from "../helpers/api";

describe("apps", () => {
  it("creates a bookmark app with Okta's shape", async () => {
    const app = await createApp({ label: "Sample Bookmark App" });
    expect(app.id).toMatch(/^0oa[0-9A-Za-z]{17}$/);
    expect(app).toMatchObject({
      name: "bookmark",
      label: "Sample Bookmark App",
      status: "ACTIVE",
      signOnMode: "BOOKMARK",
      features: [],
      settings: { app: { url: "https://example.com/" } },
      credentials: { userNameTemplate: { template: "${source.login}", type: "BUILT_IN" } },
    });
    expect(app._links.users.href).toBe(`http://provisio.test/api/v1/apps/${app.id}/users`);
    expect(app._links.deactivate.href).toBe(`http://provisio.test/api/v1/apps/${app.id}/lifecycle/deactivate`);
  });

  it("accepts AUTO_LOGIN and SAML_2_0 custom apps and a SCIM app, naming custom apps", async () => {
    const auto = await createApp({
      label: "Legacy Portal",
      signOnMode: "AUTO_LOGIN",
      settings: { signOn: { loginUrl: "https://portal.example.com/login" } },
      credentials: { scheme: "EDIT_USERNAME_AND_PASSWORD", userNameTemplate: { template: "${source.email}", type: "BUILT_IN" } },
    });
    expect(auto.name).toMatch(/^provisio_legacyportal_\d+$/);
    const saml = await createApp({
      label: "Wiki",
      signOnMode: "SAML_2_0",
      settings: { signOn: { ssoAcsUrl: "https://wiki.example.com/acs", audience: "https://wiki.example.com" } },
    });
    expect(saml.signOnMode).toBe("SAML_2_0");
    const scim = await createApp({
      name: "scim2testapp",
      label: "SCIM 2.0 Test App",
      signOnMode: "SAML_2_0",
      settings: { app: { baseUrl: "https://scim.example.com/scim/v2" } },
    });
    expect(scim.name).toBe("scim2testapp");
  });

  it("refuses invalid app bodies with E0000001 causes", async () => {
    const noUrl = await api("POST", "/api/v1/apps", { label: "x", signOnMode: "BOOKMARK" });
    expect(noUrl.status).toBe(400);
    expect(noUrl.body.errorCauses[0].errorSummary).toContain("settings.app.url");
    const badMode = await api("POST", "/api/v1/apps", { label: "x", signOnMode: "TELEPATHY" });
    expect(badMode.status).toBe(400);
    expect(badMode.body.errorCode).toBe("E0000001");
    const badTemplate = await api("POST", "/api/v1/apps", {
      label: "x",
      signOnMode: "BOOKMARK",
      settings: { app: { url: "https://e.com" } },
      credentials: { userNameTemplate: { template: "${fn:explode(source.login)}" } },
    });
    expect(badTemplate.status).toBe(400);
  });

  it("keeps a shared password write-only", async () => {
    const app = await createApp({
      label: "Shared",
      signOnMode: "AUTO_LOGIN",
      settings: { signOn: { loginUrl: "https://shared.example.com" } },
      credentials: { scheme: "SHARED_USERNAME_AND_PASSWORD", userName: "team", password: { value: "hunter2hunter2" } },
    });
    expect(app.credentials.password).toEqual({});
    const read = await api("GET", `/api/v1/apps/${app.id}`);
    expect(JSON.stringify(read.body)).not.toContain("hunter2");
  });

  it("replaces with PUT, deactivates, and deletes only inactive apps", async () => {
    const app = await createApp();
    const put = await api("PUT", `/api/v1/apps/${app.id}`, {
      ...app,
      label: "Renamed",
      status: "INACTIVE",
      settings: { app: { url: "https://example.org/" } },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ label: "Renamed", status: "ACTIVE", name: "bookmark", id: app.id });

    const refused = await api("DELETE", `/api/v1/apps/${app.id}`);
    expect(refused.status).toBe(403);
    expect(refused.body.errorCode).toBe("E0000056");

    const deactivate = await api("POST", `/api/v1/apps/${app.id}/lifecycle/deactivate`, undefined, { "Content-Length": "0" });
    expect(deactivate.status).toBe(200);
    expect((await api("GET", `/api/v1/apps/${app.id}`)).body.status).toBe("INACTIVE");
    expect((await api("DELETE", `/api/v1/apps/${app.id}`)).status).toBe(204);
    expect((await api("GET", `/api/v1/apps/${app.id}`)).status).toBe(404);
  });

  it("deleting an app removes its assignments", async () => {
    const app = await createApp();
    const user = await createUser();
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    await api("POST", `/api/v1/apps/${app.id}/lifecycle/deactivate`);
    await api("DELETE", `/api/v1/apps/${app.id}`);
    const filtered = await api("GET", `/api/v1/apps?filter=${encodeURIComponent(`user.id eq "${user.id}"`)}`);
    expect(filtered.body).toEqual([]);
  });

  it("lists by q, filter (status, name, user.id) and pages", async () => {
    const stem = unique("Zz");
    const a = await createApp({ label: `${stem} One` });
    const b = await createApp({ label: `${stem} Two` });
    const c = await createApp({ label: `${stem} Three` });
    await api("POST", `/api/v1/apps/${b.id}/lifecycle/deactivate`);

    const byQ = await api("GET", `/api/v1/apps?q=${encodeURIComponent(stem)}&limit=2`);
    expect(byQ.body.map((x: { id: string }) => x.id)).toEqual([a.id, b.id]);
    const next = await api("GET", pathOf(links(byQ.headers).next));
    expect(next.body.map((x: { id: string }) => x.id)).toEqual([c.id]);

    const inactive = await api("GET", `/api/v1/apps?q=${encodeURIComponent(stem)}&filter=${encodeURIComponent('status eq "INACTIVE"')}`);
    expect(inactive.body.map((x: { id: string }) => x.id)).toEqual([b.id]);

    const user = await createUser();
    await api("POST", `/api/v1/apps/${c.id}/users`, { id: user.id });
    const forUser = await api("GET", `/api/v1/apps?filter=${encodeURIComponent(`user.id eq "${user.id}"`)}`);
    expect(forUser.body.map((x: { id: string }) => x.id)).toEqual([c.id]);
  });
});
