import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { membershipChanged } from "../../src/services/groups";
import { api, createApp, createGroup, createUser } from "../helpers/api";
import { ConsoleClient } from "../helpers/console";
import { downstreamUser, importingApp, runImport } from "../helpers/imports";
import { eventually, provisionedApp, SCIM_TOKEN, scimTenant, type ScimTenant } from "../helpers/scim";

// Regression tests for defects a code review found.

describe("import robustness", () => {
  it("skips a resource that is not a user without breaking the page's numbering", async () => {
    const { app, scim } = await importingApp();
    const stamp = crypto.randomUUID().slice(0, 6);
    for (let i = 0; i < 3; i++)
      await downstreamUser(scim, {
        userName: `m${i}.${stamp}@example.com`,
        email: `m${i}.${stamp}@example.com`,
        givenName: "Re",
        familyName: `M${i}${stamp}`,
      });
    await scim.fault({ method: "GET", path: "startIndex=1", kind: "malformed-resource", times: 1 });
    const session = await runImport(app.id);
    expect(session).toMatchObject({ status: "COMPLETED", counters: { fetched: 3, new: 3, applied: 3 } });
  });

  it("keeps a group-granted user under group control when an import links it", async () => {
    const { app, scim } = await importingApp();
    const user = await createUser();
    const group = await createGroup();
    await api("PUT", `/api/v1/groups/${group.id}/users/${user.id}`);
    await api("PUT", `/api/v1/apps/${app.id}/groups/${group.id}`, undefined, { "Content-Length": "0" });
    await downstreamUser(scim, {
      userName: `link.${crypto.randomUUID().slice(0, 6)}`,
      email: user.profile.email,
      givenName: "Re",
      familyName: "User",
    });
    const session = await runImport(app.id);
    expect(session.counters).toMatchObject({ exact: 1, applied: 1 });
    const appUser = (await api("GET", `/api/v1/apps/${app.id}/users/${user.id}`)).body;
    expect(appUser).toMatchObject({ scope: "GROUP", externalId: expect.any(String) });
  });

  it("queues a second paused import behind the roadblock, then hands it the roadblock", async () => {
    await api("PUT", "/api/v1/import-safeguards", { app: { enabled: false }, org: { percent: 1 } });
    try {
      const apps: { app: { id: string }; scim: ScimTenant; ids: string[] }[] = [];
      for (let n = 0; n < 2; n++) {
        const { app, scim } = await importingApp();
        const stamp = crypto.randomUUID().slice(0, 6);
        const ids = [];
        for (let i = 0; i < 60; i++)
          ids.push(
            (
              await downstreamUser(scim, {
                userName: `q${i}.${stamp}@example.com`,
                email: `q${i}.${stamp}@example.com`,
                givenName: "Re",
                familyName: `Q${i}${stamp}`,
              })
            ).id,
          );
        await api("PUT", "/api/v1/import-safeguards", { org: { enabled: false } });
        expect((await runImport(app.id)).counters.applied).toBe(60);
        await api("PUT", "/api/v1/import-safeguards", { org: { enabled: true } });
        apps.push({ app, scim, ids });
      }
      // Both imports start before either pauses (a roadblock holds back imports that start later).
      for (const { scim, ids } of apps) {
        for (const id of ids.slice(0, 10))
          await fetch(`${scim.baseUrl}/Users/${id}`, { method: "DELETE", headers: { Authorization: `Bearer ${SCIM_TOKEN}` } });
      }
      const started = [];
      for (const { app } of apps) started.push((await api("POST", `/api/v1/apps/${app.id}/imports`, {})).body);
      const paused = await Promise.all(
        started.map((s, i) =>
          eventually(
            async () => {
              const now = (await api("GET", `/api/v1/apps/${apps[i].app.id}/imports/${s.id}`)).body;
              return now.status !== "RUNNING" ? now : undefined;
            },
            20_000,
            "paused import",
          ),
        ),
      );
      expect(paused.map((s) => s.status)).toEqual(["PAUSED_SAFEGUARD", "PAUSED_SAFEGUARD"]);
      const first = (await api("GET", "/api/v1/import-roadblock")).body;
      const order = [first.sessionId, ...first.queued.map((q: { sessionId: string }) => q.sessionId)];
      expect(order.sort()).toEqual(paused.map((s) => s.id).sort());

      await api("POST", "/api/v1/import-roadblock/resume");
      const second = (await api("GET", "/api/v1/import-roadblock")).body;
      expect(second).toMatchObject({ sessionId: first.queued[0].sessionId, queued: [] });
      await api("POST", "/api/v1/import-roadblock/cancel");
      expect((await api("GET", "/api/v1/import-roadblock")).status).toBe(404);
      const statusOf = async (sessionId: string) => {
        const i = paused.findIndex((s) => s.id === sessionId);
        return (await api("GET", `/api/v1/apps/${apps[i].app.id}/imports/${sessionId}`)).body.status;
      };
      expect(await statusOf(second.sessionId)).toBe("CANCELLED");
      await eventually(async () => (await statusOf(first.sessionId)) === "COMPLETED", 20_000, "resumed import");
    } finally {
      await api("PUT", "/api/v1/import-safeguards", { app: { enabled: true }, org: { enabled: true, percent: 20 } });
    }
  }, 90_000);
});

describe("provisioning robustness", () => {
  it("drops a password that can never be delivered instead of retrying for ever", async () => {
    const scim = scimTenant();
    const app = await createApp({
      label: "Vault",
      signOnMode: "AUTO_LOGIN",
      settings: { signOn: { loginUrl: "https://vault.example.com" } },
    });
    await api("POST", `/api/v1/apps/${app.id}/connections/default?activate=true`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "TOKEN", token: SCIM_TOKEN },
    });
    // Provisioning is on, but Create Users is off: the assignment cannot reach the downstream.
    const user = await createUser();
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id, credentials: { password: { value: "kept-nowhere-1" } } });
    await eventually(async () => (await api("GET", `/api/v1/apps/${app.id}/provisioning/tasks`)).body.length === 0, 10_000, "task done");
    expect((await scim.state()).users).toEqual([]);
  });

  it("gives a user created with groupIds the apps those groups grant", async () => {
    const app = await createApp();
    const group = await createGroup();
    await api("PUT", `/api/v1/apps/${app.id}/groups/${group.id}`, undefined, { "Content-Length": "0" });
    const user = await createUser({ groupIds: [group.id] });
    expect((await api("GET", `/api/v1/apps/${app.id}/users/${user.id}`)).body).toMatchObject({ scope: "GROUP" });
  });
});

describe("bad input is a 4xx, never a 500", () => {
  it("refuses filters on built-in property names and filters with too many conditions", async () => {
    for (const path of [
      '/api/v1/users?filter=constructor eq "x"',
      '/api/v1/groups?search=toString eq "x"',
      '/api/v1/apps?filter=__proto__ eq "x"',
    ]) {
      const res = await api("GET", path.replace(/ /g, "%20").replace(/"/g, "%22"));
      expect(res.status, path).toBe(400);
      expect(res.body.errorCode).toBe("E0000031");
    }
    const many = Array.from({ length: 21 }, (_, i) => `profile.a${i} eq "x"`).join(" or ");
    const res = await api("GET", `/api/v1/users?search=${encodeURIComponent(many)}`);
    expect(res.status).toBe(400);
    expect(res.body.errorCode).toBe("E0000031");
  });

  it("matches long prefixes and short logins with _ literally", async () => {
    const user = await createUser({ profile: { login: `a_b.${crypto.randomUUID().slice(0, 6)}@example.com` } });
    const short = user.profile.login.split("@")[0];
    expect((await api("GET", `/api/v1/users/${short}`)).body.id).toBe(user.id);
    expect((await api("GET", `/api/v1/users/${short.replace("_", "x")}`)).status).toBe(404);
    const long = "x".repeat(60);
    expect((await api("GET", `/api/v1/users?q=${long}`)).body).toEqual([]);
    const app = await createApp({
      label: `${"Long label ".repeat(6)}${crypto.randomUUID().slice(0, 4)}`,
      signOnMode: "AUTO_LOGIN",
      settings: { signOn: { loginUrl: "https://e.example" } },
    });
    expect(app.name).toMatch(/^provisio_longlabel/);
  });

  it("refuses an invalid import schedule instead of breaking every app's scheduled imports", async () => {
    const { app } = await importingApp();
    for (const entry of [{ expression: "every tuesday" }, { expression: "0 * * * *", timezone: "Mars/Phobos" }]) {
      const res = await api("PUT", `/api/v1/apps/${app.id}/features/INBOUND_PROVISIONING`, {
        importSettings: { schedule: { status: "ENABLED", fullImport: entry } },
      });
      expect(res.status, JSON.stringify(entry)).toBe(400);
    }
  });

  it("answers concurrent creates of one group name with one 200 and 400s", async () => {
    const name = `Race ${crypto.randomUUID().slice(0, 6)}`;
    const results = await Promise.all(Array.from({ length: 4 }, () => api("POST", "/api/v1/groups", { profile: { name } })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400, 400]);
  });

  it("refuses a forged cursor with E0000029", async () => {
    const forged = btoa(JSON.stringify([1, "not-a-number", "x"])).replace(/=+$/, "");
    const res = await api("GET", `/api/v1/logs?after=${forged}`);
    expect(res.status).toBe(400);
    expect(res.body.errorCode).toBe("E0000029");
  });

  it("counts a group's push mappings in its stats", async () => {
    const { app } = await importingApp();
    const group = await createGroup();
    await api("POST", `/api/v1/apps/${app.id}/group-push/mappings`, {
      sourceGroupId: group.id,
      targetGroupName: "Stats",
      status: "INACTIVE",
    });
    const listed = await api("GET", `/api/v1/groups?expand=stats&filter=${encodeURIComponent(`id eq "${group.id}"`)}`);
    expect(listed.body[0]._embedded.stats).toMatchObject({ usersCount: 0, appsCount: 0, groupPushMappingsCount: 1 });
  });
});

// Found by the route fuzzer and the concurrency proof (issue 8).
describe("found by the proof tests", () => {
  it("answers the console's import progress without a session id with 404, not 500 (route fuzzer)", async () => {
    const app = await createApp();
    const browser = new ConsoleClient();
    await browser.signIn();
    for (const query of ["", "?session=", "?result=GROUP"]) {
      const page = await browser.get(`/admin/apps/${app.id}/import/progress${query}`);
      expect(page.status, query).toBe(404);
    }
  });

  it("reports a downstream whose answer stalls after its headers as a failed check, not a 500", async () => {
    const { app, scim } = await provisionedApp();
    await scim.fault({ method: "GET", path: "ServiceProviderConfig", kind: "stall-body", delayMs: 3_000, times: 1 });
    const res = await api("POST", `/api/v1/apps/${app.id}/connections/default/test`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: "FAILURE", checks: [{ name: "ServiceProviderConfig", status: "FAILURE" }] });
    expect(res.body.errorSummary).toContain("no answer within");
  });

  it("does not leave a member removed while their group is unassigned with the app (concurrency test)", async () => {
    const app = await createApp();
    const group = await createGroup();
    const user = await createUser();
    await api("PUT", `/api/v1/groups/${group.id}/users/${user.id}`, undefined, { "Content-Length": "0" });
    await api("PUT", `/api/v1/apps/${app.id}/groups/${group.id}`, undefined, { "Content-Length": "0" });
    expect((await api("GET", `/api/v1/apps/${app.id}/users/${user.id}`)).body.scope).toBe("GROUP");
    // The interleaving the concurrent run hit: the removal's delete lands; the group is then
    // unassigned, and its fan-out no longer lists the user as a member; only then does the
    // removal look up which apps to re-check.
    await env.DB.prepare("DELETE FROM group_members WHERE group_id = ? AND user_id = ?").bind(group.id, user.id).run();
    expect((await api("DELETE", `/api/v1/apps/${app.id}/groups/${group.id}`)).status).toBe(204);
    await membershipChanged(env, createDb(env.DB), group.id, user.id);
    expect((await api("GET", `/api/v1/apps/${app.id}/users/${user.id}`)).status).toBe(404);
  });
});
