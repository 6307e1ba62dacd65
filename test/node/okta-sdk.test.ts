import okta from "@okta/okta-sdk-nodejs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SDK_TOKEN, startLocalWorker, type LocalWorker } from "./local-worker";

// The official Okta Node SDK, unmodified, against provisio running under wrangler's local runtime.
let worker: LocalWorker;
let client: InstanceType<typeof okta.Client>;

beforeAll(async () => {
  // System Log calls get a small rate limit (2 per 2 s window) so the SDK's 429 handling can be seen.
  worker = await startLocalWorker({ RATE_LIMIT_OVERRIDES: "logs=2", RATE_LIMIT_WINDOW_SECONDS: "2" });
  // A trailing slash, as Okta's README writes orgUrl: the SDK then sends "//api/v1/...".
  client = new okta.Client({ orgUrl: `${worker.url}/`, token: SDK_TOKEN });
});

afterAll(async () => {
  await worker?.stop();
});

// The SDK's collections yield `T | null`; a null never arrives before the end of a list.
async function collect<T>(collection: AsyncIterable<T | null>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of collection) if (item !== null) items.push(item);
  return items;
}

describe("Okta Node SDK against provisio", () => {
  it("creates users, a group and an app, then assigns, pages, reads, updates and unassigns", async () => {
    const stamp = Date.now();
    const users = [];
    for (let i = 0; i < 5; i++) {
      const login = `sdk.user${i}.${stamp}@example.com`;
      const user = await client.userApi.createUser({
        body: { profile: { firstName: `Sdk${i}`, lastName: "Tester", email: login, login } },
        activate: true,
      });
      expect(user.id).toMatch(/^00u/);
      expect(user.status).toBe("PROVISIONED");
      expect(user.created).toBeInstanceOf(Date);
      users.push(user);
    }

    const group = await client.groupApi.createGroup({ group: { profile: { name: `SDK Group ${stamp}`, description: "made by the SDK" } } });
    expect(group.id).toMatch(/^00g/);
    await client.groupApi.assignUserToGroup({ groupId: group.id!, userId: users[0].id! });
    const members = await collect(await client.groupApi.listGroupUsers({ groupId: group.id!, limit: 200 }));
    expect(members.map((u) => u.id)).toEqual([users[0].id]);

    const app = await client.applicationApi.createApplication({
      application: {
        name: "bookmark",
        label: `SDK Bookmark ${stamp}`,
        signOnMode: "BOOKMARK",
        settings: { app: { url: "https://example.com/bookmark.html", requestIntegration: false } },
      } as never,
    });
    expect(app.id).toMatch(/^0oa/);
    expect(app.signOnMode).toBe("BOOKMARK");

    for (const user of users) {
      const appUser = await client.applicationApi.assignUserToApplication({
        appId: app.id!,
        appUser: { id: user.id!, scope: "USER", credentials: { userName: user.profile!.login }, profile: { team: "sdk" } },
      });
      expect(appUser.id).toBe(user.id);
      expect(appUser.scope).toBe("USER");
      expect(appUser.status).toBe("ACTIVE");
    }

    // limit=2 over 5 users: the SDK follows three next links (2 + 2 + 1), with expand kept.
    const listed = await collect(await client.applicationApi.listApplicationUsers({ appId: app.id!, limit: 2, expand: "user" }));
    expect(listed.map((u) => u.id)).toEqual(users.map((u) => u.id));
    for (const appUser of listed) expect((appUser._embedded as { user: { id: string } }).user.id).toBe(appUser.id);

    const fetched = await client.applicationApi.getApplicationUser({ appId: app.id!, userId: users[1].id! });
    expect(fetched.credentials?.userName).toBe(users[1].profile!.login);
    expect(fetched.profile).toEqual({ team: "sdk" });
    expect(fetched.lastUpdated).toBeInstanceOf(Date);

    const updated = await client.applicationApi.updateApplicationUser({
      appId: app.id!,
      userId: users[1].id!,
      appUser: { credentials: { userName: "renamed.by.sdk" }, profile: { team: "platform" } },
    });
    expect(updated.credentials?.userName).toBe("renamed.by.sdk");
    expect(updated.profile).toEqual({ team: "platform" });

    await client.applicationApi.unassignUserFromApplication({ appId: app.id!, userId: users[1].id! });
    const after = await collect(await client.applicationApi.listApplicationUsers({ appId: app.id!, limit: 500 }));
    expect(after.map((u) => u.id)).toEqual(users.filter((_, i) => i !== 1).map((u) => u.id));
  });

  it("assigns a group, defines a custom attribute and maps it, as Terraform-style clients do", async () => {
    const stamp = Date.now();
    const login = `sdk.group.${stamp}@example.com`;
    const user = await client.userApi.createUser({ body: { profile: { firstName: "Grace", lastName: "Hopper", email: login, login } } });
    const group = await client.groupApi.createGroup({ group: { profile: { name: `SDK Assignment ${stamp}` } } });
    await client.groupApi.assignUserToGroup({ groupId: group.id!, userId: user.id! });
    const app = await client.applicationApi.createApplication({
      application: {
        name: "bookmark",
        label: `SDK Groups ${stamp}`,
        signOnMode: "BOOKMARK",
        settings: { app: { url: "https://example.com/" } },
      } as never,
    });

    await client.schemaApi.updateApplicationUserProfile({
      appInstanceId: app.id!,
      body: {
        definitions: { custom: { id: "#custom", type: "object", properties: { nickName: { title: "Nickname", type: "string" } } } },
      } as never,
    });
    const schema = await client.schemaApi.getApplicationUserSchema({ appInstanceId: app.id! });
    expect(Object.keys(schema.definitions?.custom?.properties ?? {})).toEqual(["nickName"]);
    const [mapping] = await collect(await client.profileMappingApi.listProfileMappings({ targetId: app.id! }));
    await client.profileMappingApi.updateProfileMapping({
      mappingId: mapping.id!,
      profileMapping: { properties: { nickName: { expression: "user.firstName", pushStatus: "PUSH" } } } as never,
    });

    // The SDK sends this PUT without a body (Content-Length: 0).
    const assignment = await client.applicationApi.assignGroupToApplication({ appId: app.id!, groupId: group.id! });
    expect(assignment.priority).toBe(0);
    const assignments = await collect(await client.applicationApi.listApplicationGroupAssignments({ appId: app.id!, expand: "group" }));
    expect(assignments.map((a) => a.id)).toEqual([group.id]);
    const appUser = await client.applicationApi.getApplicationUser({ appId: app.id!, userId: user.id! });
    expect(appUser.scope).toBe("GROUP");
    expect(appUser.profile).toEqual({ nickName: "Grace" });

    const refused = await client.applicationApi.unassignUserFromApplication({ appId: app.id!, userId: user.id! }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 403, errorCode: "E0000046" });
    await client.applicationApi.unassignApplicationFromGroup({ appId: app.id!, groupId: group.id! });
    expect(await collect(await client.applicationApi.listApplicationUsers({ appId: app.id! }))).toEqual([]);
  });

  it("surfaces provisio's errors as OktaApiError with Okta's codes", async () => {
    const error = await client.applicationApi.getApplicationUser({ appId: "0oanotthere", userId: "00unobody" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404, errorCode: "E0000007" });
    const bad = new okta.Client({ orgUrl: worker.url, token: "wrong-token" });
    const unauthorized = await bad.userApi.getUser({ userId: "anyone" }).catch((e: unknown) => e);
    expect(unauthorized).toMatchObject({ status: 401, errorCode: "E0000011" });
  });

  it("lists, reads and revokes API tokens", async () => {
    const minted = await fetch(`${worker.url}/api/v1/api-tokens`, {
      method: "POST",
      headers: { Authorization: `SSWS ${SDK_TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "sdk test" }),
    }).then((res) => res.json() as Promise<{ id: string; token: string }>);
    const tokens = await collect(await client.apiTokenApi.listApiTokens());
    expect(tokens.map((t) => t.name)).toEqual(expect.arrayContaining(["bootstrap", "sdk test"]));
    const token = await client.apiTokenApi.getApiToken({ apiTokenId: minted.id });
    expect(token).toMatchObject({ id: minted.id, name: "sdk test", tokenWindow: "P30D" });
    expect(token.created).toBeInstanceOf(Date);

    const own = new okta.Client({ orgUrl: worker.url, token: minted.token });
    await own.apiTokenApi.revokeCurrentApiToken();
    const refused = await own.userApi.getUser({ userId: "anyone" }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 401, errorCode: "E0000011" });
  });

  it("creates an app from the catalog by its key name and lists a user's app links (listAppLinks)", async () => {
    const stamp = Date.now();
    const login = `sdk.links.${stamp}@example.com`;
    const user = await client.userApi.createUser({ body: { profile: { firstName: "Sdk", lastName: "Links", email: login, login } } });
    // The SDK 8 serializes a SAML app's settings by its model, which has no settings.app: a template
    // that needs no instance settings (Asana) is created by its key name as Okta creates OIN apps.
    const asana = await client.applicationApi.createApplication({
      application: { name: "asana", label: `SDK Asana ${stamp}`, signOnMode: "SAML_2_0" } as never,
    });
    expect((asana as { name?: string }).name).toBe("asana");
    await client.applicationApi.assignUserToApplication({ appId: asana.id!, appUser: { id: user.id! } });
    const links = await collect(await client.userApi.listAppLinks({ userId: user.id! }));
    expect(links).toHaveLength(1);
    expect(links[0]).toMatchObject({ appInstanceId: asana.id, appName: "asana", label: `SDK Asana ${stamp}`, hidden: false, sortOrder: 0 });
    expect(links[0].linkUrl).toBe(`${worker.url}/home/asana/${asana.id}/asana_link`);
  });

  it("waits out a 429 using Date and X-Rate-Limit-Reset, then succeeds", async () => {
    const started = Date.now();
    // Three first pages in a row: the third is refused (2 per window) and retried after the reset.
    for (let i = 0; i < 3; i++) await (await client.systemLogApi.listLogEvents({ limit: 1 })).next();
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThan(500);
    expect(elapsed).toBeLessThan(10_000);
  });
});
