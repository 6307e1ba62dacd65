import { describe, expect, it } from "vitest";
import { api, createApp, createGroup, createUser } from "../helpers/api";
import { settle } from "../helpers/seed";

async function addAttributes(appId: string, properties: Record<string, unknown>) {
  return api("POST", `/api/v1/meta/schemas/apps/${appId}/default`, {
    definitions: { custom: { id: "#custom", type: "object", properties } },
  });
}

async function mappingOf(appId: string) {
  const list = await api("GET", `/api/v1/mappings?sourceId=oty00000000000000000&targetId=${appId}`);
  expect(list.body).toHaveLength(1);
  return list.body[0];
}

async function mapAttributes(appId: string, properties: Record<string, unknown>) {
  const mapping = await mappingOf(appId);
  return api("POST", `/api/v1/mappings/${mapping.id}`, { properties });
}

const appUser = (appId: string, userId: string) => api("GET", `/api/v1/apps/${appId}/users/${userId}`);

describe("app user schema", () => {
  it("serves base + custom definitions and applies partial updates, null removing", async () => {
    const app = await createApp();
    const empty = await api("GET", `/api/v1/meta/schemas/apps/${app.id}/default`);
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({
      id: `http://provisio.test/meta/schemas/apps/${app.id}/default`,
      $schema: "http://json-schema.org/draft-04/schema#",
      type: "object",
      definitions: {
        base: { id: "#base", properties: { userName: { type: "string", required: true } }, required: ["userName"] },
        custom: { id: "#custom", properties: {}, required: [] },
      },
      properties: { profile: { allOf: [{ $ref: "#/definitions/base" }, { $ref: "#/definitions/custom" }] } },
    });

    const added = await addAttributes(app.id, {
      nickName: { title: "Nickname", type: "string", maxLength: 20 },
      badge: { title: "Badge", type: "integer", scope: "SELF", required: true },
    });
    expect(added.status).toBe(200);
    expect(added.body.definitions.custom.properties.nickName).toEqual({ title: "Nickname", type: "string", maxLength: 20, scope: "NONE" });
    expect(added.body.definitions.custom.required).toEqual(["badge"]);

    // Posting back the whole schema it read changes nothing; null removes.
    const again = await api("POST", `/api/v1/meta/schemas/apps/${app.id}/default`, added.body);
    expect(again.body.definitions.custom.properties).toEqual(added.body.definitions.custom.properties);
    const removed = await addAttributes(app.id, { badge: null });
    expect(Object.keys(removed.body.definitions.custom.properties)).toEqual(["nickName"]);
  });

  it("refuses bad definitions with E0000001 causes and saves nothing", async () => {
    const app = await createApp();
    const res = await addAttributes(app.id, {
      "9lives": { title: "x", type: "string" },
      password: { title: "x", type: "string" },
      untyped: { title: "x" },
      list: { title: "x", type: "array" },
      ok: { title: "fine", type: "boolean" },
    });
    expect(res.status).toBe(400);
    expect(res.body.errorCode).toBe("E0000001");
    const causes = res.body.errorCauses.map((c: { errorSummary: string }) => c.errorSummary).join("\n");
    for (const name of ["9lives", "password", "untyped.type", "list.items"]) expect(causes).toContain(name);
    expect((await api("GET", `/api/v1/meta/schemas/apps/${app.id}/default`)).body.definitions.custom.properties).toEqual({});
  });
});

describe("profile mappings", () => {
  it("lists one Okta user -> app user mapping per app and shows its properties", async () => {
    const app = await createApp();
    const mapping = await mappingOf(app.id);
    expect(mapping.id).toMatch(/^prm/);
    expect(mapping).toMatchObject({
      source: { id: "oty00000000000000000", name: "user", type: "user" },
      target: { id: app.id, type: "appuser" },
    });
    expect(mapping.properties).toBeUndefined();
    const one = await api("GET", `/api/v1/mappings/${mapping.id}`);
    expect(one.body.properties).toEqual({});
    expect((await api("GET", "/api/v1/mappings?sourceId=0oaSomethingElse")).body).toEqual([]);
    expect((await api("GET", "/api/v1/mappings/prmnothing")).status).toBe(404);
  });

  it("refuses unknown functions, unknown targets and userName at save time", async () => {
    const app = await createApp();
    await addAttributes(app.id, { nickName: { title: "Nickname", type: "string" } });
    for (const properties of [
      { nickName: { expression: "Arrays.toCsvString(user.groups)" } },
      { nickName: { expression: "user.firstName +" } },
      { ghost: { expression: "user.firstName" } },
      { userName: { expression: "user.email" } },
    ]) {
      const res = await mapAttributes(app.id, properties);
      expect(res.status, JSON.stringify(properties)).toBe(400);
      expect(res.body.errorCode).toBe("E0000001");
    }
    expect((await api("GET", `/api/v1/mappings/${(await mappingOf(app.id)).id}`)).body.properties).toEqual({});
  });
});

describe("custom attributes with default mappings, override and reset (seed 000)", () => {
  it("nickName follows firstName until overridden, keeps the override, and follows again after reset", async () => {
    const app = await createApp();
    await addAttributes(app.id, { nickName: { title: "Nickname", type: "string" } });
    const mapped = await mapAttributes(app.id, { nickName: { expression: "user.firstName", pushStatus: "PUSH" } });
    expect(mapped.status).toBe(200);
    expect(mapped.body.properties).toEqual({ nickName: { expression: "user.firstName", pushStatus: "PUSH" } });

    const user = await createUser({ profile: { firstName: "Ada" } });
    const assigned = await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    expect(assigned.body.profile.nickName).toBe("Ada");

    const overridden = await api("POST", `/api/v1/apps/${app.id}/users/${user.id}`, { profile: { nickName: "Zed" } });
    expect(overridden.body.profile.nickName).toBe("Zed");

    await api("POST", `/api/v1/users/${user.id}`, { profile: { firstName: "Adele" } });
    expect((await appUser(app.id, user.id)).body.profile.nickName).toBe("Zed");

    const reset = await api("POST", `/api/v1/apps/${app.id}/users/${user.id}`, { profile: { nickName: null } });
    expect(reset.body.profile.nickName).toBe("Adele");
    await api("POST", `/api/v1/users/${user.id}`, { profile: { firstName: "Ava" } });
    expect((await appUser(app.id, user.id)).body.profile.nickName).toBe("Ava");
  });

  it("posting back the profile read keeps mapped values following their source", async () => {
    const app = await createApp();
    await addAttributes(app.id, { nickName: { title: "Nickname", type: "string" }, role: { title: "Role", type: "string" } });
    await mapAttributes(app.id, { nickName: { expression: 'user.firstName + "!"' } });
    const user = await createUser({ profile: { firstName: "Bo" } });
    const assigned = await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    // Okta's advice: fetch, change one attribute, POST the whole profile back.
    await api("POST", `/api/v1/apps/${app.id}/users/${user.id}`, { profile: { ...assigned.body.profile, role: "dev" } });
    await api("POST", `/api/v1/users/${user.id}`, { profile: { firstName: "Bea" } });
    expect((await appUser(app.id, user.id)).body.profile).toEqual({ nickName: "Bea!", role: "dev" });
  });

  it("moves lastUpdated only when the effective profile changes", async () => {
    const app = await createApp();
    await addAttributes(app.id, { nickName: { title: "Nickname", type: "string" } });
    await mapAttributes(app.id, { nickName: { expression: "user.firstName" } });
    const user = await createUser();
    const before = (await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id })).body;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await api("POST", `/api/v1/users/${user.id}`, { profile: { title: "unmapped change" } });
    expect((await appUser(app.id, user.id)).body.lastUpdated).toBe(before.lastUpdated);
    await api("POST", `/api/v1/users/${user.id}`, { profile: { firstName: "Changed" } });
    const after = (await appUser(app.id, user.id)).body;
    expect(after.profile.nickName).toBe("Changed");
    expect(Date.parse(after.lastUpdated)).toBeGreaterThan(Date.parse(before.lastUpdated));
  });

  it("re-evaluates existing assignments when the mapping changes, and drops removed attributes", async () => {
    const app = await createApp();
    await addAttributes(app.id, { display: { title: "Display", type: "string" }, team: { title: "Team", type: "string" } });
    const user = await createUser({ profile: { firstName: "Cy", lastName: "Young" } });
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id, profile: { team: "red" } });
    await mapAttributes(app.id, { display: { expression: 'String.toUpperCase(user.lastName) + ", " + user.firstName' } });
    await settle(app.id);
    expect((await appUser(app.id, user.id)).body.profile).toEqual({ display: "YOUNG, Cy", team: "red" });

    await addAttributes(app.id, { team: null });
    await settle(app.id);
    expect((await appUser(app.id, user.id)).body.profile).toEqual({ display: "YOUNG, Cy" });
    await mapAttributes(app.id, { display: { expression: null } });
    await settle(app.id);
    expect((await appUser(app.id, user.id)).body.profile).toEqual({});
  });

  it("checks declared types, and keeps personal (SELF) attributes out of group profiles", async () => {
    const app = await createApp();
    await addAttributes(app.id, {
      level: { title: "Level", type: "integer" },
      badge: { title: "Badge", type: "string", scope: "SELF" },
      tier: { title: "Tier", type: "string", enum: ["gold", "silver"] },
    });
    const user = await createUser();
    const wrongType = await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id, profile: { level: "high" } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errorCauses[0].errorSummary).toBe("profile.level: expected an integer");
    const wrongEnum = await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id, profile: { tier: "bronze" } });
    expect(wrongEnum.status).toBe(400);

    const group = await createGroup();
    await api("PUT", `/api/v1/groups/${group.id}/users/${user.id}`);
    const selfFromGroup = await api("PUT", `/api/v1/apps/${app.id}/groups/${group.id}`, { profile: { badge: "B-1" } });
    expect(selfFromGroup.status).toBe(400);
    const ok = await api("PUT", `/api/v1/apps/${app.id}/groups/${group.id}`, { profile: { level: 2, tier: "gold" } });
    expect(ok.status).toBe(200);
    const au = await appUser(app.id, user.id);
    expect(au.body).toMatchObject({ scope: "GROUP", profile: { level: 2, tier: "gold" } });
    const personal = await api("POST", `/api/v1/apps/${app.id}/users/${user.id}`, { profile: { ...au.body.profile, badge: "B-7" } });
    expect(personal.body.profile).toEqual({ level: 2, tier: "gold", badge: "B-7" });
  });
});
