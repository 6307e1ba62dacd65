import { describe, expect, it } from "vitest";
import { api, createGroup, createUser } from "../helpers/api";
import { appUserWhen, eventually, provisionedApp } from "../helpers/scim";

const mappings = (appId: string) => `/api/v1/apps/${appId}/group-push/mappings`;

async function downstreamGroup(scim: { state(): Promise<any> }, name: string) {
  return (await scim.state()).groups.find((g: { displayName: string }) => g.displayName === name);
}

describe("Group Push (seed 001)", () => {
  it("pushes a group by name with its provisioned members and follows membership changes", async () => {
    const { app, scim } = await provisionedApp();
    const [ann, bob] = [await createUser(), await createUser()];
    const accounting = await createGroup(`Accounting ${crypto.randomUUID().slice(0, 6)}`);
    const push = await createGroup(`AppPushGroup ${crypto.randomUUID().slice(0, 6)}`);
    for (const user of [ann, bob]) {
      await api("PUT", `/api/v1/groups/${accounting.id}/users/${user.id}`);
      await api("PUT", `/api/v1/groups/${push.id}/users/${user.id}`);
    }
    await api("PUT", `/api/v1/apps/${app.id}/groups/${accounting.id}`, undefined, { "Content-Length": "0" });
    for (const user of [ann, bob]) await appUserWhen(app.id, user.id, (u) => u.status === "PROVISIONED");

    const created = await api("POST", mappings(app.id), { sourceGroupId: push.id, targetGroupName: push.profile.name, status: "ACTIVE" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      sourceGroupId: push.id,
      status: "ACTIVE",
      _links: { sourceGroup: { href: expect.stringContaining(push.id) } },
    });
    const group = await eventually(
      async () => {
        const g = await downstreamGroup(scim, push.profile.name);
        return g?.members?.length === 2 ? g : undefined;
      },
      15_000,
      "pushed group with 2 members",
    );
    const externalIds = (await scim.state()).users.map((u: { id: string }) => u.id).sort();
    expect(group.members.map((m: { value: string }) => m.value).sort()).toEqual(externalIds);
    const read = await eventually(async () => {
      const m = (await api("GET", `${mappings(app.id)}/${created.body.id}`)).body;
      return m.targetGroupId ? m : undefined;
    });
    expect(read).toMatchObject({ targetGroupId: group.id, status: "ACTIVE" });
    expect(read.lastPush).not.toBeNull();

    await api("DELETE", `/api/v1/groups/${push.id}/users/${bob.id}`);
    await eventually(async () => (await downstreamGroup(scim, push.profile.name)).members.length === 1, 15_000, "bob removed");

    const list = await api("GET", `${mappings(app.id)}?sourceGroupId=${push.id}`);
    expect(list.body.map((m: { id: string }) => m.id)).toEqual([created.body.id]);
  });

  it("refuses the same group for assignment and push, both ways, with a clear 400", async () => {
    const { app } = await provisionedApp();
    const assigned = await createGroup();
    await api("PUT", `/api/v1/apps/${app.id}/groups/${assigned.id}`, undefined, { "Content-Length": "0" });
    const refused = await api("POST", mappings(app.id), { sourceGroupId: assigned.id, targetGroupName: "x" });
    expect(refused.status).toBe(400);
    expect(refused.body.errorCode).toBe("E0000027");
    expect(refused.body.errorCauses[0].errorSummary).toContain("same group for app assignment and Group Push");

    const pushed = await createGroup();
    await api("POST", mappings(app.id), { sourceGroupId: pushed.id, targetGroupName: pushed.profile.name });
    const assign = await api("PUT", `/api/v1/apps/${app.id}/groups/${pushed.id}`, undefined, { "Content-Length": "0" });
    expect(assign.status).toBe(400);
    expect(assign.body.errorCode).toBe("E0000027");

    const both = await api("POST", mappings(app.id), {
      sourceGroupId: (await createGroup()).id,
      targetGroupId: "abc",
      targetGroupName: "x",
    });
    expect(both.status).toBe(400);
  });

  it("safe unassign order: Taylor leaves AppPushGroup downstream before the account is deactivated", async () => {
    const { app, scim } = await provisionedApp();
    const taylor = await createUser({ profile: { firstName: "Taylor", lastName: "Smith" } });
    const accounting = await createGroup(`Accounting ${crypto.randomUUID().slice(0, 6)}`);
    const pushGroup = await createGroup(`AppPushGroup ${crypto.randomUUID().slice(0, 6)}`);
    await api("PUT", `/api/v1/groups/${accounting.id}/users/${taylor.id}`);
    await api("PUT", `/api/v1/groups/${pushGroup.id}/users/${taylor.id}`);
    await api("PUT", `/api/v1/apps/${app.id}/groups/${accounting.id}`, undefined, { "Content-Length": "0" });
    const provisioned = await appUserWhen(app.id, taylor.id, (u) => u.status === "PROVISIONED");
    await api("POST", mappings(app.id), { sourceGroupId: pushGroup.id, targetGroupName: pushGroup.profile.name });
    await eventually(async () => (await downstreamGroup(scim, pushGroup.profile.name))?.members?.length === 1, 15_000, "Taylor pushed");

    // The seed's risky order: Taylor leaves Accounting (unassigning the app) while still in AppPushGroup.
    await api("DELETE", `/api/v1/groups/${accounting.id}/users/${taylor.id}`);
    await eventually(async () => (await scim.state()).users[0].active === false, 15_000, "deactivated");
    const state = await scim.state();
    const group = state.groups.find((g: { displayName: string }) => g.displayName === pushGroup.profile.name);
    expect(group.members ?? []).toEqual([]);
    const leave = state.requests.findIndex(
      (r: any) =>
        r.method === "PATCH" &&
        r.path === `/Groups/${group.id}` &&
        JSON.stringify(r.body).includes(provisioned.externalId) &&
        JSON.stringify(r.body).includes("remove"),
    );
    const deactivate = state.requests.findIndex(
      (r: any) => r.method === "PATCH" && r.path === `/Users/${provisioned.externalId}` && JSON.stringify(r.body).includes("active"),
    );
    expect(leave).toBeGreaterThan(-1);
    expect(deactivate).toBeGreaterThan(leave);
  });

  it("deletes only INACTIVE mappings, deleting the downstream group when asked", async () => {
    const { app, scim } = await provisionedApp();
    const group = await createGroup(`Temp ${crypto.randomUUID().slice(0, 6)}`);
    const mapping = (await api("POST", mappings(app.id), { sourceGroupId: group.id, targetGroupName: group.profile.name })).body;
    await eventually(async () => downstreamGroup(scim, group.profile.name), 15_000, "pushed");
    const active = await api("DELETE", `${mappings(app.id)}/${mapping.id}?deleteTargetGroup=true`);
    expect(active.status).toBe(400);
    expect((await api("PATCH", `${mappings(app.id)}/${mapping.id}`, { status: "INACTIVE" })).body.status).toBe("INACTIVE");
    expect((await api("DELETE", `${mappings(app.id)}/${mapping.id}?deleteTargetGroup=true`)).status).toBe(204);
    await eventually(async () => (await downstreamGroup(scim, group.profile.name)) === undefined, 15_000, "downstream group deleted");
    expect((await api("GET", `${mappings(app.id)}/${mapping.id}`)).status).toBe(404);
  });

  it("links to an existing downstream group by id", async () => {
    const { app, scim } = await provisionedApp();
    const existing = (await (
      await fetch(`${scim.baseUrl}/Groups`, {
        method: "POST",
        headers: { "Content-Type": "application/scim+json", Authorization: "Bearer scim-test-token" },
        body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Pre-existing" }),
      })
    ).json()) as { id: string };
    const group = await createGroup();
    const mapping = (await api("POST", mappings(app.id), { sourceGroupId: group.id, targetGroupId: existing.id })).body;
    expect(mapping.targetGroupId).toBe(existing.id);
    await eventually(async () => (await api("GET", `${mappings(app.id)}/${mapping.id}`)).body.lastPush, 15_000, "pushed");
    expect((await scim.state()).groups).toHaveLength(1);
  });
});
