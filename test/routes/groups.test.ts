import { describe, expect, it } from "vitest";
import { api, createGroup, createUser, links, pathOf, unique } from "../helpers/api";

describe("groups", () => {
  it("creates, reads, replaces and deletes an OKTA_GROUP", async () => {
    const name = unique("Accounting ");
    const created = await createGroup(name);
    expect(created.id).toMatch(/^00g[0-9A-Za-z]{17}$/);
    expect(created).toMatchObject({ type: "OKTA_GROUP", objectClass: ["okta:user_group"], profile: { name } });
    expect(created._links.users.href).toBe(`http://provisio.test/api/v1/groups/${created.id}/users`);

    const replaced = await api("PUT", `/api/v1/groups/${created.id}`, { profile: { name: `${name} EU` } });
    expect(replaced.status).toBe(200);
    expect(replaced.body.profile).toEqual({ name: `${name} EU` });

    expect((await api("DELETE", `/api/v1/groups/${created.id}`)).status).toBe(204);
    const gone = await api("GET", `/api/v1/groups/${created.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.errorCode).toBe("E0000007");
  });

  it("refuses a duplicate name and a missing name", async () => {
    const group = await createGroup();
    const dup = await api("POST", "/api/v1/groups", { profile: { name: group.profile.name.toUpperCase() } });
    expect(dup.status).toBe(400);
    expect(dup.body.errorCode).toBe("E0000001");
    const missing = await api("POST", "/api/v1/groups", { profile: {} });
    expect(missing.status).toBe(400);
  });

  it("adds and removes members idempotently with 204 and pages the member list", async () => {
    const group = await createGroup();
    const members = [await createUser(), await createUser(), await createUser()];
    for (const user of members) {
      expect((await api("PUT", `/api/v1/groups/${group.id}/users/${user.id}`)).status).toBe(204);
    }
    expect((await api("PUT", `/api/v1/groups/${group.id}/users/${members[0].id}`)).status).toBe(204);

    const first = await api("GET", `/api/v1/groups/${group.id}/users?limit=2`);
    expect(first.body.map((u: { id: string }) => u.id)).toEqual(members.slice(0, 2).map((u) => u.id));
    const next = links(first.headers).next;
    expect(next).toBeDefined();
    const second = await api("GET", pathOf(next));
    expect(second.body.map((u: { id: string }) => u.id)).toEqual([members[2].id]);
    expect(links(second.headers).next).toBeUndefined();

    expect((await api("DELETE", `/api/v1/groups/${group.id}/users/${members[1].id}`)).status).toBe(204);
    expect((await api("DELETE", `/api/v1/groups/${group.id}/users/${members[1].id}`)).status).toBe(204);
    const stats = await api("GET", `/api/v1/groups/${group.id}?expand=stats`);
    expect(stats.body._embedded.stats.usersCount).toBe(2);
    expect(Date.parse(stats.body.lastMembershipUpdated)).toBeGreaterThanOrEqual(Date.parse(group.lastMembershipUpdated));

    expect((await api("PUT", `/api/v1/groups/${group.id}/users/00unobody`)).status).toBe(404);
    expect((await api("PUT", `/api/v1/groups/00gnothing/users/${members[0].id}`)).status).toBe(404);
  });

  it("lists by q (name prefix), filter and search", async () => {
    const stem = unique("Sales");
    const a = await createGroup(`${stem} North`);
    const b = await createGroup(`${stem} South`);
    const byQ = await api("GET", `/api/v1/groups?q=${encodeURIComponent(stem)}`);
    expect(byQ.body.map((g: { id: string }) => g.id)).toEqual([a.id, b.id]);
    const bySearch = await api("GET", `/api/v1/groups?search=${encodeURIComponent(`profile.name eq "${stem} South"`)}`);
    expect(bySearch.body.map((g: { id: string }) => g.id)).toEqual([b.id]);
    const byFilter = await api("GET", `/api/v1/groups?filter=${encodeURIComponent(`id eq "${a.id}" and type eq "OKTA_GROUP"`)}`);
    expect(byFilter.body.map((g: { id: string }) => g.id)).toEqual([a.id]);
  });

  it("deleting a group removes its memberships", async () => {
    const group = await createGroup();
    const user = await createUser();
    await api("PUT", `/api/v1/groups/${group.id}/users/${user.id}`);
    await api("DELETE", `/api/v1/groups/${group.id}`);
    expect((await api("GET", `/api/v1/users/${user.id}/groups`)).body).toEqual([]);
  });
});
