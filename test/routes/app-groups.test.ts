import { describe, expect, it } from "vitest";
import { api, createApp, createGroup, createUser, links, pathOf } from "../helpers/api";
import { allAppUserIds, settle } from "../helpers/seed";

const put = (appId: string, groupId: string, body?: unknown) =>
  body === undefined
    ? api("PUT", `/api/v1/apps/${appId}/groups/${groupId}`, undefined, { "Content-Length": "0" })
    : api("PUT", `/api/v1/apps/${appId}/groups/${groupId}`, body);
const appUser = (appId: string, userId: string) => api("GET", `/api/v1/apps/${appId}/users/${userId}`);
const addMember = (groupId: string, userId: string) => api("PUT", `/api/v1/groups/${groupId}/users/${userId}`);
const removeMember = (groupId: string, userId: string) => api("DELETE", `/api/v1/groups/${groupId}/users/${userId}`);

async function groupWith(...users: { id: string }[]) {
  const group = await createGroup();
  for (const user of users) await addMember(group.id, user.id);
  return group;
}

async function priorities(appId: string) {
  const res = await api("GET", `/api/v1/apps/${appId}/groups?limit=200`);
  return res.body.map((a: { id: string; priority: number }) => [a.id, a.priority]);
}

describe("PUT /api/v1/apps/{appId}/groups/{groupId}", () => {
  it("accepts a bodyless PUT and makes every member a GROUP-scoped app user", async () => {
    const app = await createApp();
    const [a, b] = [await createUser(), await createUser()];
    const group = await groupWith(a, b);
    const res = await put(app.id, group.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: group.id,
      priority: 0,
      profile: {},
      _links: {
        app: { href: `http://provisio.test/api/v1/apps/${app.id}` },
        group: { href: `http://provisio.test/api/v1/groups/${group.id}` },
      },
    });
    for (const user of [a, b]) {
      const au = await appUser(app.id, user.id);
      expect(au.status).toBe(200);
      expect(au.body).toMatchObject({ scope: "GROUP", status: "ACTIVE", credentials: { userName: user.profile.login } });
    }
  });

  it("keeps priorities dense and unique, shifting deterministically", async () => {
    const app = await createApp();
    const [g1, g2, g3, g4] = [await createGroup(), await createGroup(), await createGroup(), await createGroup()];
    for (const g of [g1, g2, g3]) await put(app.id, g.id);
    expect(await priorities(app.id)).toEqual([
      [g1.id, 0],
      [g2.id, 1],
      [g3.id, 2],
    ]);

    expect((await put(app.id, g4.id, { priority: 1 })).body.priority).toBe(1);
    expect(await priorities(app.id)).toEqual([
      [g1.id, 0],
      [g4.id, 1],
      [g2.id, 2],
      [g3.id, 3],
    ]);

    await put(app.id, g3.id, { priority: 0 });
    expect(await priorities(app.id)).toEqual([
      [g3.id, 0],
      [g1.id, 1],
      [g4.id, 2],
      [g2.id, 3],
    ]);

    await put(app.id, g1.id, { priority: 99 });
    expect(await priorities(app.id)).toEqual([
      [g3.id, 0],
      [g4.id, 1],
      [g2.id, 2],
      [g1.id, 3],
    ]);

    expect((await api("DELETE", `/api/v1/apps/${app.id}/groups/${g4.id}`)).status).toBe(204);
    expect(await priorities(app.id)).toEqual([
      [g3.id, 0],
      [g2.id, 1],
      [g1.id, 2],
    ]);

    const negative = await put(app.id, g2.id, { priority: -1 });
    expect(negative.status).toBe(400);
  });

  it("writes nothing when the same group is assigned again", async () => {
    const app = await createApp();
    const user = await createUser();
    const group = await groupWith(user);
    const first = await put(app.id, group.id, { profile: { dept: "x" } });
    const before = await appUser(app.id, user.id);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = await put(app.id, group.id, { profile: { dept: "x" } });
    expect(again.body.lastUpdated).toBe(first.body.lastUpdated);
    const bare = await put(app.id, group.id);
    expect(bare.body).toEqual(first.body);
    expect((await appUser(app.id, user.id)).body.lastUpdated).toBe(before.body.lastUpdated);
  });

  it("answers unknown apps and groups with 404", async () => {
    const app = await createApp();
    const group = await createGroup();
    expect((await put("0oanothing", group.id)).status).toBe(404);
    const missing = await put(app.id, "00gnothing");
    expect(missing.status).toBe(404);
    expect(missing.body.errorSummary).toContain("UserGroup");
    expect((await api("GET", `/api/v1/apps/${app.id}/groups/${group.id}`)).status).toBe(404);
    expect((await api("DELETE", `/api/v1/apps/${app.id}/groups/${group.id}`)).status).toBe(404);
  });
});

describe("group profiles and priority", () => {
  it("applies the highest-priority group's profile to GROUP-scoped users only", async () => {
    const app = await createApp();
    const [both, onlyLow, direct] = [await createUser(), await createUser(), await createUser()];
    const high = await groupWith(both, direct);
    const low = await groupWith(both, onlyLow);
    await put(app.id, high.id, { priority: 0, profile: { role: "admin", region: "eu" } });
    await put(app.id, low.id, { priority: 1, profile: { role: "viewer" } });
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: direct.id, profile: { role: "owner" } });

    expect((await appUser(app.id, both.id)).body.profile).toEqual({ role: "admin", region: "eu" });
    expect((await appUser(app.id, onlyLow.id)).body.profile).toEqual({ role: "viewer" });
    expect((await appUser(app.id, direct.id)).body).toMatchObject({ scope: "USER", profile: { role: "owner" } });

    // Swap priorities: the other group's profile now wins for the user in both.
    await put(app.id, low.id, { priority: 0 });
    expect((await appUser(app.id, both.id)).body.profile).toEqual({ role: "viewer" });

    // PATCH replace/remove on /profile/... and the change reaches the members.
    const patched = await api("PATCH", `/api/v1/apps/${app.id}/groups/${low.id}`, [
      { op: "replace", path: "/profile/role", value: "editor" },
      { op: "add", path: "/profile/team", value: "blue" },
    ]);
    expect(patched.status).toBe(200);
    expect(patched.body.profile).toEqual({ role: "editor", team: "blue" });
    expect((await appUser(app.id, onlyLow.id)).body.profile).toEqual({ role: "editor", team: "blue" });
    const removed = await api("PATCH", `/api/v1/apps/${app.id}/groups/${low.id}`, [{ op: "remove", path: "/profile/team" }]);
    expect(removed.body.profile).toEqual({ role: "editor" });

    const bad = await api("PATCH", `/api/v1/apps/${app.id}/groups/${low.id}`, [{ op: "remove", path: "/name" }]);
    expect(bad.status).toBe(400);
    const notAssigned = await api("PATCH", `/api/v1/apps/${app.id}/groups/${(await createGroup()).id}`, [
      { op: "remove", path: "/profile/x" },
    ]);
    expect(notAssigned.status).toBe(404);
  });
});

describe("membership cascade", () => {
  it("follows members added, removed, deactivated, reactivated and the group deleted", async () => {
    const app = await createApp();
    const [a, b, c] = [await createUser(), await createUser(), await createUser()];
    const group = await groupWith(a);
    const other = await groupWith(b);
    await put(app.id, group.id);
    await put(app.id, other.id);

    await addMember(group.id, c.id);
    expect((await appUser(app.id, c.id)).body.scope).toBe("GROUP");
    await addMember(group.id, b.id);
    await removeMember(group.id, c.id);
    expect((await appUser(app.id, c.id)).status).toBe(404);
    await removeMember(group.id, b.id);
    expect((await appUser(app.id, b.id)).status).toBe(200); // still granted by the other group

    await api("POST", `/api/v1/users/${a.id}/lifecycle/deactivate`);
    expect((await appUser(app.id, a.id)).status).toBe(404);
    await api("POST", `/api/v1/users/${a.id}/lifecycle/activate`);
    expect((await appUser(app.id, a.id)).body.scope).toBe("GROUP");

    expect((await api("DELETE", `/api/v1/groups/${other.id}`)).status).toBe(204);
    await settle(app.id);
    expect((await appUser(app.id, b.id)).status).toBe(404);
    expect(await priorities(app.id)).toEqual([[group.id, 0]]);
  });
});

describe("scope rules", () => {
  it("refuses to unassign a user only their groups grant (403 E0000046)", async () => {
    const app = await createApp();
    const user = await createUser();
    const group = await groupWith(user);
    await put(app.id, group.id);
    const res = await api("DELETE", `/api/v1/apps/${app.id}/users/${user.id}`);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({
      errorCode: "E0000046",
      errorSummary: "Deactivate application for user forbidden.",
      errorCauses: [{ errorSummary: "The application cannot be unassigned from the user while their group memberships grant them access" }],
    });
  });

  it("removes only the direct grant from a user who also has a group grant", async () => {
    const app = await createApp();
    const user = await createUser();
    const group = await groupWith(user);
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id, scope: "USER" });
    await put(app.id, group.id);
    expect((await appUser(app.id, user.id)).body.scope).toBe("USER");
    const res = await api("DELETE", `/api/v1/apps/${app.id}/users/${user.id}`);
    expect(res.status).toBe(204);
    expect(res.headers.get("X-Provisio-Assignment-Retained-By")).toBe("GROUP");
    expect((await appUser(app.id, user.id)).body.scope).toBe("GROUP");
  });

  it("converts between USER and GROUP scope through update", async () => {
    const app = await createApp();
    const [grouped, loner] = [await createUser(), await createUser()];
    const group = await groupWith(grouped);
    await put(app.id, group.id);

    const toUser = await api("POST", `/api/v1/apps/${app.id}/users/${grouped.id}`, { scope: "USER" });
    expect(toUser.body.scope).toBe("USER");
    await api("DELETE", `/api/v1/apps/${app.id}/groups/${group.id}`);
    await settle(app.id);
    expect((await appUser(app.id, grouped.id)).body.scope).toBe("USER"); // the admin's override survives

    await put(app.id, group.id);
    const back = await api("POST", `/api/v1/apps/${app.id}/users/${grouped.id}`, { scope: "GROUP" });
    expect(back.body.scope).toBe("GROUP");

    await api("POST", `/api/v1/apps/${app.id}/users`, { id: loner.id });
    const refused = await api("POST", `/api/v1/apps/${app.id}/users/${loner.id}`, { scope: "GROUP" });
    expect(refused.status).toBe(400);
    expect(refused.body.errorCauses[0].errorSummary).toContain("group assignment");
  });
});

describe("listing group assignments", () => {
  it("pages in priority order (limit 20..200) with q and expand=group kept", async () => {
    const app = await createApp();
    const stem = `Pg${crypto.randomUUID().slice(0, 6)}`;
    const made = [];
    for (let i = 0; i < 23; i++) {
      const g = await createGroup(`${stem} ${String(i).padStart(2, "0")}`);
      await put(app.id, g.id);
      made.push(g);
    }
    const first = await api("GET", `/api/v1/apps/${app.id}/groups?limit=5&expand=group&q=${stem}`);
    expect(first.body).toHaveLength(20); // Okta's minimum page is 20
    expect(first.body[0]._embedded.group.profile.name).toBe(`${stem} 00`);
    const next = links(first.headers).next;
    expect(new URL(next).searchParams.get("expand")).toBe("group");
    const second = await api("GET", pathOf(next));
    expect(second.body.map((a: { id: string }) => a.id)).toEqual(made.slice(20).map((g) => g.id));
    expect(second.body.map((a: { priority: number }) => a.priority)).toEqual([20, 21, 22]);

    const one = await api("GET", `/api/v1/apps/${app.id}/groups/${made[3].id}?expand=metadata`);
    expect(one.body).toMatchObject({ id: made[3].id, priority: 3, _embedded: { metadata: { profile: {} } } });
  });

  it("lists a group's apps", async () => {
    const [a1, a2] = [await createApp(), await createApp()];
    const group = await createGroup();
    await put(a1.id, group.id);
    await put(a2.id, group.id);
    const res = await api("GET", `/api/v1/groups/${group.id}/apps`);
    expect(res.body.map((a: { id: string }) => a.id).sort()).toEqual([a1.id, a2.id].sort());
    const stats = await api("GET", `/api/v1/groups/${group.id}?expand=stats`);
    expect(stats.body._embedded.stats.appsCount).toBe(2);
    expect(await allAppUserIds(a1.id)).toEqual([]);
  });
});
