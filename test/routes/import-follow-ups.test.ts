import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, onTestFinished } from "vitest";
import type { AppCoordinator } from "../../src/coordinator/app-coordinator";
import { api, createApp, createUser } from "../helpers/api";
import { downstreamUser, IMPORT_RULES, importingApp, runImport, scimCall } from "../helpers/imports";
import { eventually } from "../helpers/scim";

// Issue 14: users whose Okta profile an import changes are written to the importing app's
// durable outbox before the change lands, and leave it only once every other app assigning
// them has reconciled them. A failing other app, and an eviction of the importing app's
// coordinator meanwhile, delay the follow-up but do not lose it.

async function outboxOf(appId: string): Promise<string[]> {
  return runInDurableObject(env.APP_COORDINATOR.getByName(appId), async (_instance, state) =>
    state.storage.sql
      .exec<{ user_id: string }>("SELECT user_id FROM outbox ORDER BY user_id")
      .toArray()
      .map((row) => row.user_id),
  );
}

describe("import follow-ups", () => {
  it("tells other apps of a sourced profile change through the outbox, surviving their failures and an eviction", async () => {
    const { app: source, scim } = await importingApp({
      importRules: { userCreateAndMatch: { ...IMPORT_RULES, allowPartialMatch: false } },
      profileSourcing: { status: "ENABLED", onDeactivated: "DEACTIVATE", reactivateSuspended: false, reactivateDeactivated: false },
    });
    const stamp = crypto.randomUUID().slice(0, 6);
    const email = `ola.${stamp}@example.com`;
    const user = await createUser({ profile: { firstName: "Ola", lastName: "Nordmann", email, login: email } });
    const downstream = await downstreamUser(scim, { userName: email, givenName: "Ola", familyName: "Nordmann", email });
    expect((await runImport(source.id)).counters).toMatchObject({ exact: 1, applied: 1 });

    // Another app shows the first name in its app users' profile (nickName <- user.firstName).
    const other = await createApp();
    await api("POST", `/api/v1/meta/schemas/apps/${other.id}/default`, {
      definitions: { custom: { properties: { nickName: { title: "Nickname", type: "string" } } } },
    });
    const [mapping] = (await api("GET", `/api/v1/mappings?targetId=${other.id}`)).body;
    await api("POST", `/api/v1/mappings/${mapping.id}`, { properties: { nickName: { expression: "user.firstName", pushStatus: "PUSH" } } });
    expect((await api("POST", `/api/v1/apps/${other.id}/users`, { id: user.id })).status).toBe(200);
    const nickName = async () => (await api("GET", `/api/v1/apps/${other.id}/users/${user.id}`)).body.profile.nickName;
    expect(await nickName()).toBe("Ola");

    // The other app's coordinator refuses the next follow-ups (RPC methods live on the class,
    // so the class's method is wrapped for that app only, and restored at the end).
    const refusals = { left: 3, seen: 0 };
    const proto = (await runInDurableObject(env.APP_COORDINATOR.getByName(other.id), async (instance: AppCoordinator) =>
      Object.getPrototypeOf(instance),
    )) as AppCoordinator;
    const original = proto.reconcileUsers;
    proto.reconcileUsers = function (this: AppCoordinator, ...args: Parameters<AppCoordinator["reconcileUsers"]>) {
      if (args[0] === other.id && refusals.left > 0) {
        refusals.left--;
        refusals.seen++;
        return Promise.reject(new Error("injected: the other app's coordinator is unavailable"));
      }
      return original.apply(this, args);
    };
    onTestFinished(() => {
      proto.reconcileUsers = original;
    });

    // The app renames the user; the import updates Okta, and the other app must follow.
    await scimCall(scim, "PATCH", `/Users/${downstream.id}`, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "replace", path: "name.givenName", value: "Olga" }],
    });
    expect((await runImport(source.id)).counters).toMatchObject({ updated: 1, applied: 1 });
    expect((await api("GET", `/api/v1/users/${user.id}`)).body.profile.firstName).toBe("Olga");
    await eventually(async () => refusals.seen >= 1, 10_000, "a refused follow-up");
    expect(await outboxOf(source.id)).toEqual([user.id]);
    expect(await nickName()).toBe("Ola");

    // The importing app's coordinator is evicted while the follow-up waits: it is kept all the same.
    await evictDurableObject(env.APP_COORDINATOR.getByName(source.id)).catch(() => undefined);
    await eventually(async () => (await nickName()) === "Olga", 30_000, "the other app to follow");
    expect(refusals).toEqual({ left: 0, seen: 3 });
    expect(await outboxOf(source.id)).toEqual([]);
    console.log("import follow-ups: 3 refused calls and an eviction of the importing coordinator; the other app followed, outbox empty");
  }, 90_000);
});
