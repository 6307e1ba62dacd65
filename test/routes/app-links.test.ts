import { describe, expect, it } from "vitest";
import { api, createApp, createGroup, createUser, unique } from "../helpers/api";

const linksOf = (userId: string, headers?: Record<string, string>) => api("GET", `/api/v1/users/${userId}/appLinks`, undefined, headers);

describe("app links (GET /api/v1/users/{id}/appLinks)", () => {
  it("lists a link per ACTIVE app the user has directly or through a group, in assignment order", async () => {
    const user = await createUser();
    const group = await createGroup();
    await api("PUT", `/api/v1/groups/${group.id}/users/${user.id}`);
    const direct = await createApp({ label: unique("Direct ") });
    const byGroup = await createApp({ label: unique("By group ") });
    const inactive = await createApp({ label: unique("Inactive ") });
    await api("POST", `/api/v1/apps/${direct.id}/users`, { id: user.id });
    await api("PUT", `/api/v1/apps/${byGroup.id}/groups/${group.id}`, undefined, { "Content-Length": "0" });
    await api("POST", `/api/v1/apps/${inactive.id}/users`, { id: user.id });
    await api("POST", `/api/v1/apps/${inactive.id}/lifecycle/deactivate`);

    const res = await linksOf(user.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      {
        id: user.id,
        label: direct.label,
        linkUrl: `http://provisio.test/home/bookmark/${direct.id}/bookmark_link`,
        logoUrl: "http://provisio.test/logos/app.svg",
        appName: "bookmark",
        appInstanceId: direct.id,
        appAssignmentId: expect.stringMatching(/^0ua[0-9A-Za-z]{17}$/),
        credentialsSetup: false,
        hidden: false,
        sortOrder: 0,
      },
      expect.objectContaining({ label: byGroup.label, appInstanceId: byGroup.id, sortOrder: 1, hidden: false }),
    ]);
    // The same assignment keeps its id; another user's assignment to the same app has another.
    expect((await linksOf(user.id)).body[0].appAssignmentId).toBe(res.body[0].appAssignmentId);

    // An app deactivated meanwhile disappears, and comes back when reactivated.
    await api("POST", `/api/v1/apps/${direct.id}/lifecycle/deactivate`);
    expect((await linksOf(user.id)).body.map((l: { appInstanceId: string }) => l.appInstanceId)).toEqual([byGroup.id]);
    await api("POST", `/api/v1/apps/${direct.id}/lifecycle/activate`);
    // Unassigned (the group taken away): the link goes.
    await api("DELETE", `/api/v1/apps/${byGroup.id}/groups/${group.id}`);
    expect((await linksOf(user.id)).body.map((l: { appInstanceId: string }) => l.appInstanceId)).toEqual([direct.id]);
  });

  it("respects visibility: hide.web lists the link as hidden, appLinks.<link>: false removes it", async () => {
    const user = await createUser();
    const hidden = await createApp({ label: unique("Hidden "), visibility: { hide: { web: true, iOS: false } } });
    const noLink = await createApp({ label: unique("No link "), visibility: { appLinks: { bookmark_link: false } } });
    const swa = await createApp({
      label: unique("SWA "),
      signOnMode: "AUTO_LOGIN",
      settings: { signOn: { loginUrl: "https://swa.example.com/login" } },
      credentials: { scheme: "EDIT_USERNAME_AND_PASSWORD" },
    });
    for (const app of [hidden, noLink, swa]) await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    await api("POST", `/api/v1/apps/${swa.id}/users/${user.id}`, { credentials: { userName: "ada", password: { value: "swa-Secret-1" } } });
    const body = (await linksOf(user.id)).body;
    expect(body.map((l: { appInstanceId: string; hidden: boolean }) => [l.appInstanceId, l.hidden])).toEqual([
      [hidden.id, true],
      [swa.id, false],
    ]);
    expect(body[1]).toMatchObject({ credentialsSetup: true, linkUrl: expect.stringContaining(`/home/${swa.name}/${swa.id}/`) });
  });

  it("serves `me` for a token recorded against a user, and 404 E0000007 otherwise", async () => {
    const user = await createUser();
    const app = await createApp();
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const minted = await api("POST", "/api/v1/api-tokens", { name: unique("mine "), userId: user.id });
    expect(minted.status).toBe(201);
    const mine = await linksOf("me", { Authorization: `SSWS ${minted.body.token}` });
    expect(mine.status).toBe(200);
    expect(mine.body.map((l: { id: string; appInstanceId: string }) => [l.id, l.appInstanceId])).toEqual([[user.id, app.id]]);

    const bootstrap = await linksOf("me");
    expect(bootstrap.status).toBe(404);
    expect(bootstrap.body).toMatchObject({ errorCode: "E0000007", errorSummary: "Not found: Resource not found: me (User)" });
    const unknown = await linksOf("00uNoSuchUser1234567");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({
      errorCode: "E0000007",
      errorSummary: "Not found: Resource not found: 00uNoSuchUser1234567 (User)",
      errorCauses: [],
    });
    // By login as well as by id.
    expect((await linksOf(encodeURIComponent(user.profile.login))).body).toHaveLength(1);
  });

  it("links a deactivated user to nothing", async () => {
    const user = await createUser();
    const app = await createApp();
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    await api("POST", `/api/v1/users/${user.id}/lifecycle/deactivate`);
    expect((await linksOf(user.id)).body).toEqual([]);
  });
});
