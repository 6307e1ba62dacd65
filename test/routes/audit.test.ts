import { describe, expect, it } from "vitest";
import { api, createApp, createGroup, createUser, links, pathOf, TOKEN } from "../helpers/api";
import { downstreamUser, importingApp } from "../helpers/imports";
import { eventually, provisionedApp, SCIM_TOKEN } from "../helpers/scim";
import { settle } from "../helpers/seed";

// Issue 8: every change writes Okta-shaped System Log events, attributed to the request (actor,
// client, X-Okta-Request-Id) or, for background work, to the system with the originating
// request's id. Events are read back through GET /api/v1/logs and its filter.

const SINCE = new Date(Date.now() - 60_000).toISOString();
const REQUEST_ID = "X-Okta-Request-Id";
const CLIENT = { "CF-Connecting-IP": "203.0.113.7", "User-Agent": "audit-test/1.0" };
/** Secrets the tests set; none may appear in any event. */
const SECRETS = new Set<string>([TOKEN, SCIM_TOKEN]);

type LogEvent = {
  uuid: string;
  published: string;
  eventType: string;
  version: string;
  severity: string;
  displayMessage: string;
  actor: { id: string; type: string; alternateId: string; displayName: string; detailEntry?: Record<string, unknown> };
  client?: { ipAddress?: string; userAgent?: { rawUserAgent: string } };
  outcome: { result: string; reason?: string };
  target: { id: string; type: string; alternateId: string; displayName?: string; changeDetails?: { from?: any; to?: any } }[];
  transaction: { type: string; id: string; detail: Record<string, unknown> };
  debugContext: { debugData: Record<string, any> };
};

/** Every event since the file started that matches `filter`, oldest first (all pages). */
async function logs(filter: string): Promise<LogEvent[]> {
  const out: LogEvent[] = [];
  let path: string | undefined = `/api/v1/logs?since=${SINCE}&limit=1000&filter=${encodeURIComponent(filter)}`;
  while (path) {
    const res: { status: number; body: LogEvent[]; headers: Headers } = await api("GET", path);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    out.push(...res.body);
    const next: string | undefined = links(res.headers).next;
    path = next ? pathOf(next) : undefined;
  }
  return out;
}

/** Events written for one request: directly (WEB) or by background work it started. */
const ofRequest = (requestId: string) => logs(`debugContext.debugData.requestId eq "${requestId}"`);
const types = (events: LogEvent[]) => events.map((e) => e.eventType).sort();

/** The shape every event has (Okta's LogEvent: uuid, published, version, severity, outcome, ...). */
function expectLogEvent(event: LogEvent) {
  expect(event.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  expect(new Date(event.published).toISOString()).toBe(event.published);
  expect(event).toMatchObject({ version: "0", severity: expect.stringMatching(/^(DEBUG|INFO|WARN|ERROR)$/) });
  expect(event.displayMessage.length).toBeGreaterThan(0);
  expect(event.actor).toMatchObject({ id: expect.any(String), type: expect.any(String), alternateId: expect.any(String) });
  expect(["SUCCESS", "FAILURE", "SKIPPED"]).toContain(event.outcome.result);
  if (event.outcome.reason !== undefined) expect(event.outcome.reason.length).toBeLessThanOrEqual(255);
  for (const target of event.target)
    expect(target).toMatchObject({ id: expect.any(String), type: expect.any(String), alternateId: expect.any(String) });
  expect(["WEB", "JOB"]).toContain(event.transaction.type);
}

/** A request's own events: its actor, client and WEB transaction named by its request id. */
function expectFromRequest(event: LogEvent, requestId: string, actor: Record<string, unknown>, tokenId: string) {
  expectLogEvent(event);
  expect(event).toMatchObject({
    actor,
    client: { ipAddress: CLIENT["CF-Connecting-IP"], userAgent: { rawUserAgent: CLIENT["User-Agent"] } },
    transaction: { type: "WEB", id: requestId, detail: { requestApiTokenId: tokenId } },
    debugContext: { debugData: { requestId } },
  });
}

/** Background work started by a request: the system acts, in a JOB, naming the request. */
function expectFromJob(event: LogEvent, requestId: string) {
  expectLogEvent(event);
  expect(event).toMatchObject({
    actor: { type: "SystemPrincipal" },
    transaction: { type: "JOB" },
    debugContext: { debugData: { requestId } },
  });
  expect(event.client).toBeUndefined();
}

/** An admin user and an API token recorded against them. */
async function adminToken() {
  const admin = await createUser();
  const minted = await api("POST", "/api/v1/api-tokens", { name: "audit admin", userId: admin.id });
  expect(minted.status).toBe(201);
  SECRETS.add(minted.body.token);
  const headers = { ...CLIENT, Authorization: `SSWS ${minted.body.token}` };
  const actor = { id: admin.id, type: "User", alternateId: admin.profile.login, detailEntry: { apiTokenId: minted.body.id } };
  return { admin, tokenId: minted.body.id as string, headers, actor };
}

/** The bootstrap token's own id (it is recorded against no user: it is the actor itself). */
async function bootstrapTokenId(): Promise<string> {
  const tokens = await api("GET", "/api/v1/api-tokens");
  return tokens.body.find((t: { name: string }) => t.name === "bootstrap").id;
}

const ridOf = (res: { headers: Headers }) => res.headers.get(REQUEST_ID)!;

describe("System Log: assignments", () => {
  it("logs direct assign, update (username, password, profile) and unassign with the request's actor, client and id", async () => {
    const { tokenId, headers, actor } = await adminToken();
    const app = await createApp({
      signOnMode: "AUTO_LOGIN",
      settings: { signOn: { loginUrl: "https://vault.example.com" } },
      credentials: { scheme: "EDIT_USERNAME_AND_PASSWORD" },
    });
    const user = await createUser();
    SECRETS.add("first-app-Secret-1").add("second-app-Secret-2");

    const assigned = await api(
      "POST",
      `/api/v1/apps/${app.id}/users`,
      { id: user.id, credentials: { userName: "ada.app", password: { value: "first-app-Secret-1" } } },
      headers,
    );
    expect(assigned.status).toBe(200);
    const [add] = await ofRequest(ridOf(assigned));
    expect(types(await ofRequest(ridOf(assigned)))).toEqual(["application.user_membership.add"]);
    expectFromRequest(add, ridOf(assigned), actor, tokenId);
    expect(add).toMatchObject({
      displayMessage: "Add user to application membership",
      severity: "INFO",
      outcome: { result: "SUCCESS" },
      target: [
        { id: app.id, type: "AppInstance", displayName: app.label },
        { id: user.id, type: "User", alternateId: user.profile.login },
        { id: user.id, type: "AppUser", alternateId: "ada.app" },
      ],
      debugContext: { debugData: { scope: "USER", source: "DIRECT", reason: "direct assignment" } },
    });

    const updated = await api(
      "POST",
      `/api/v1/apps/${app.id}/users/${user.id}`,
      { credentials: { userName: "ada.renamed", password: { value: "second-app-Secret-2" } }, profile: { note: "audited" } },
      headers,
    );
    expect(updated.status).toBe(200);
    const changes = await ofRequest(ridOf(updated));
    expect(types(changes)).toEqual([
      "application.user_membership.change_password",
      "application.user_membership.change_username",
      "application.user_membership.update",
    ]);
    for (const event of changes) expectFromRequest(event, ridOf(updated), actor, tokenId);
    const rename = changes.find((e) => e.eventType.endsWith("change_username"))!;
    expect(rename.target[2].changeDetails).toEqual({ from: { userName: "ada.app" }, to: { userName: "ada.renamed" } });
    expect(changes.find((e) => e.eventType.endsWith(".update"))!.debugContext.debugData.changedAttributes).toEqual(["note"]);

    // A change that changes nothing writes nothing.
    const same = await api("POST", `/api/v1/apps/${app.id}/users/${user.id}`, { profile: { note: "audited" } }, headers);
    expect(await ofRequest(ridOf(same))).toEqual([]);

    const removed = await api("DELETE", `/api/v1/apps/${app.id}/users/${user.id}`, undefined, headers);
    expect(removed.status).toBe(204);
    const [remove, ...more] = await ofRequest(ridOf(removed));
    expect(more).toEqual([]);
    expectFromRequest(remove, ridOf(removed), actor, tokenId);
    expect(remove).toMatchObject({
      eventType: "application.user_membership.remove",
      debugContext: { debugData: { reason: "direct unassignment" } },
    });
  });

  it("logs a group assignment, its change and removal, and each member's fan-out with the group as source", async () => {
    const { tokenId, headers, actor } = await adminToken();
    const app = await createApp();
    const group = await createGroup();
    const members = [await createUser(), await createUser(), await createUser()];
    for (const member of members) await api("PUT", `/api/v1/groups/${group.id}/users/${member.id}`);

    const assigned = await api("PUT", `/api/v1/apps/${app.id}/groups/${group.id}`, { priority: 0 }, headers);
    expect(assigned.status).toBe(200);
    await settle(app.id);
    const added = await ofRequest(ridOf(assigned));
    expect(types(added)).toEqual([...members.map(() => "application.user_membership.add"), "group.application_assignment.add"]);
    const assignment = added.find((e) => e.eventType === "group.application_assignment.add")!;
    expectFromRequest(assignment, ridOf(assigned), actor, tokenId);
    expect(assignment.target).toMatchObject([
      { id: app.id, type: "AppInstance" },
      { id: group.id, type: "UserGroup", displayName: group.profile.name },
    ]);
    const fanOut = added.filter((e) => e.eventType === "application.user_membership.add");
    expect(fanOut.map((e) => e.target[1].id).sort()).toEqual(members.map((m) => m.id).sort());
    for (const event of fanOut) {
      expectFromJob(event, ridOf(assigned));
      expect(event.debugContext.debugData).toMatchObject({
        scope: "GROUP",
        source: "GROUP",
        groupId: group.id,
        reason: "group assigned",
        initiatedBy: actor.id,
      });
    }

    const changed = await api("PUT", `/api/v1/apps/${app.id}/groups/${group.id}`, { priority: 0, profile: { region: "eu" } }, headers);
    expect(changed.status).toBe(200);
    await settle(app.id);
    const updates = await ofRequest(ridOf(changed));
    expect(types(updates)).toEqual([...members.map(() => "application.user_membership.update"), "group.application_assignment.update"]);
    for (const event of updates.filter((e) => e.eventType === "application.user_membership.update")) {
      expect(event.debugContext.debugData).toMatchObject({ source: "GROUP", groupId: group.id, changedAttributes: ["region"] });
    }
    expect(updates.find((e) => e.eventType === "group.application_assignment.update")!.debugContext.debugData.changedAttributes).toEqual([
      "region",
    ]);

    const unassigned = await api("DELETE", `/api/v1/apps/${app.id}/groups/${group.id}`, undefined, headers);
    expect(unassigned.status).toBe(204);
    await settle(app.id);
    const removals = await ofRequest(ridOf(unassigned));
    expect(types(removals)).toEqual([...members.map(() => "application.user_membership.remove"), "group.application_assignment.remove"]);
    for (const event of removals.filter((e) => e.eventType === "application.user_membership.remove")) {
      expectFromJob(event, ridOf(unassigned));
      expect(event.debugContext.debugData).toMatchObject({ source: "GROUP", groupId: group.id, reason: "group unassigned" });
    }
  });

  it("logs a deleted group, its app assignments and the assignments they granted", async () => {
    const app = await createApp();
    const group = await createGroup();
    const member = await createUser();
    await api("PUT", `/api/v1/groups/${group.id}/users/${member.id}`);
    await api("PUT", `/api/v1/apps/${app.id}/groups/${group.id}`, { priority: 0 });
    const deleted = await api("DELETE", `/api/v1/groups/${group.id}`, undefined, CLIENT);
    expect(deleted.status).toBe(204);
    await settle(app.id);
    const events = await ofRequest(ridOf(deleted));
    expect(types(events)).toEqual([
      "application.user_membership.remove",
      "group.application_assignment.remove",
      "group.lifecycle.delete",
      "group.user_membership.remove",
    ]);
    const removed = events.find((e) => e.eventType === "application.user_membership.remove")!;
    expectFromJob(removed, ridOf(deleted));
    expect(removed.debugContext.debugData).toMatchObject({ reason: "group deleted" });
    expect(events.find((e) => e.eventType === "group.application_assignment.remove")!.target).toMatchObject([
      { id: app.id, type: "AppInstance" },
      { id: group.id, type: "UserGroup" },
    ]);
  });

  it("logs membership changes and user lifecycle, with the assignments they cascade to", async () => {
    const { tokenId, headers, actor } = await adminToken();
    const app = await createApp();
    const group = await createGroup();
    await api("PUT", `/api/v1/apps/${app.id}/groups/${group.id}`, { priority: 0 });
    const [stays, leaves] = [await createUser(), await createUser()];

    for (const user of [stays, leaves]) {
      const joined = await api("PUT", `/api/v1/groups/${group.id}/users/${user.id}`, undefined, headers);
      const events = await ofRequest(ridOf(joined));
      expect(types(events)).toEqual(["application.user_membership.add", "group.user_membership.add"]);
      for (const event of events) expectFromRequest(event, ridOf(joined), actor, tokenId);
      expect(events.find((e) => e.eventType === "group.user_membership.add")!.target).toMatchObject([
        { id: user.id, type: "User" },
        { id: group.id, type: "UserGroup" },
      ]);
      expect(events.find((e) => e.eventType === "application.user_membership.add")!.debugContext.debugData).toMatchObject({
        source: "GROUP",
        groupId: group.id,
        reason: "group membership added",
      });
    }

    const left = await api("DELETE", `/api/v1/groups/${group.id}/users/${leaves.id}`, undefined, headers);
    const leaving = await ofRequest(ridOf(left));
    expect(types(leaving)).toEqual(["application.user_membership.remove", "group.user_membership.remove"]);
    expect(leaving.find((e) => e.eventType === "application.user_membership.remove")!.debugContext.debugData).toMatchObject({
      groupId: group.id,
      reason: "group membership removed",
    });

    const renamed = await api("POST", `/api/v1/users/${stays.id}`, { profile: { nickName: "Ada" } }, headers);
    const [profile, ...others] = await ofRequest(ridOf(renamed));
    expect(others).toEqual([]); // the app's mapping does not use nickName: no app user change
    expectFromRequest(profile, ridOf(renamed), actor, tokenId);
    expect(profile).toMatchObject({
      eventType: "user.account.update_profile",
      target: [{ id: stays.id, type: "User" }],
      debugContext: { debugData: { changedAttributes: ["nickName"] } },
    });

    SECRETS.add("Okta-Password-123");
    const password = await api("POST", `/api/v1/users/${stays.id}`, { credentials: { password: { value: "Okta-Password-123" } } }, headers);
    expect(types(await ofRequest(ridOf(password)))).toEqual(["user.account.update_password"]);

    const deactivated = await api("POST", `/api/v1/users/${stays.id}/lifecycle/deactivate`, undefined, headers);
    expect(deactivated.status).toBe(200);
    const lifecycle = await ofRequest(ridOf(deactivated));
    expect(types(lifecycle)).toEqual(["application.user_membership.remove", "user.lifecycle.deactivate"]);
    for (const event of lifecycle) expectFromRequest(event, ridOf(deactivated), actor, tokenId);
    expect(lifecycle.find((e) => e.eventType === "user.lifecycle.deactivate")!.target[0].changeDetails).toEqual({
      from: { status: "PROVISIONED" }, // created without a password
      to: { status: "DEPROVISIONED" },
    });
    expect(lifecycle.find((e) => e.eventType === "application.user_membership.remove")!.debugContext.debugData).toMatchObject({
      reason: "user deactivated",
    });
  });
});

describe("System Log: provisioning", () => {
  it("logs each push with its outcome: a retried failure (WARN) with the reason, then success, and deactivation", async () => {
    const { app, scim } = await provisionedApp();
    await scim.fault({ method: "POST", path: "^/Users$", kind: "500", times: 1 });
    const user = await createUser();
    const assigned = await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id }, CLIENT);
    const rid = ridOf(assigned);
    const pushes = await eventually(async () => {
      const events = (await ofRequest(rid)).filter((e) => e.eventType === "application.provision.user.push");
      return events.some((e) => e.outcome.result === "SUCCESS") ? events : undefined;
    });
    const [failed, succeeded] = pushes;
    expectFromJob(failed, rid);
    expect(failed).toMatchObject({
      severity: "WARN",
      displayMessage: "Push new user to external application",
      outcome: { result: "FAILURE", reason: expect.stringContaining("500") },
      target: [
        { id: app.id, type: "AppInstance" },
        { id: user.id, type: "User" },
      ],
      debugContext: { debugData: { retrying: true, downstreamStatus: 500 } },
    });
    expectFromJob(succeeded, rid);
    expect(succeeded).toMatchObject({ severity: "INFO", outcome: { result: "SUCCESS" } });

    const removed = await api("DELETE", `/api/v1/apps/${app.id}/users/${user.id}`);
    const deactivated = await eventually(async () =>
      (await ofRequest(ridOf(removed))).find((e) => e.eventType === "application.provision.user.deactivate"),
    );
    expect(deactivated).toMatchObject({ outcome: { result: "SUCCESS" }, actor: { type: "SystemPrincipal" } });
  });

  it("logs a failure for good as ERROR with the downstream's reason and never the credentials", async () => {
    const { app, scim } = await provisionedApp();
    SECRETS.add("wrong-scim-token-Xy9");
    await api("POST", `/api/v1/apps/${app.id}/connections/default`, {
      baseUrl: scim.baseUrl,
      profile: { authScheme: "TOKEN", token: "wrong-scim-token-Xy9" },
    });
    const user = await createUser();
    const assigned = await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    const failure = await eventually(async () =>
      (await ofRequest(ridOf(assigned))).find(
        (e) => e.eventType.startsWith("application.provision.user.") && e.outcome.result === "FAILURE",
      ),
    );
    expectFromJob(failure, ridOf(assigned));
    expect(failure).toMatchObject({
      eventType: "application.provision.user.push",
      severity: "ERROR",
      outcome: { result: "FAILURE", reason: expect.stringContaining("401") },
      debugContext: { debugData: { retrying: false } },
    });
    expect(JSON.stringify(failure)).not.toContain("wrong-scim-token-Xy9");
  });

  it("carries the caller as actor on provision on demand", async () => {
    const { app } = await provisionedApp({ create: { lifecycleCreate: { status: "DISABLED" } } });
    const user = await createUser();
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id });
    // The assignment's own run goes first (a run in progress would refuse the sync).
    await eventually(async () => (await api("GET", `/api/v1/apps/${app.id}/provisioning/tasks`)).body.length === 0);
    const synced = await api("POST", `/api/v1/apps/${app.id}/provisioning/users/${user.id}/sync`, undefined, CLIENT);
    expect(synced.status).toBe(200);
    const events = await ofRequest(ridOf(synced));
    expect(events).toHaveLength(1);
    expectFromRequest(events[0], ridOf(synced), { type: "Token", id: await bootstrapTokenId() }, await bootstrapTokenId());
    expect(events[0]).toMatchObject({
      eventType: "application.provision.user.push",
      outcome: { result: "SKIPPED", reason: expect.stringContaining("Create Users is disabled") },
    });
  });
});

describe("System Log: imports", () => {
  it("logs every item's decision when planned and when applied, with the request that started or confirmed it", async () => {
    const { app, scim } = await importingApp();
    const stamp = crypto.randomUUID().slice(0, 6);
    const exact = await createUser({ profile: { email: `exact.${stamp}@example.com`, login: `exact.${stamp}@example.com` } });
    const partial = await createUser({ profile: { firstName: "Parti", lastName: `Al${stamp}` } });
    await createUser({ profile: { email: `twin.${stamp}@example.com` } });
    await createUser({ profile: { email: `twin.${stamp}@example.com` } });
    await downstreamUser(scim, { userName: `e${stamp}`, email: `exact.${stamp}@example.com`, givenName: "E", familyName: "X" });
    await downstreamUser(scim, { userName: `p${stamp}`, email: `p.${stamp}@example.com`, givenName: "Parti", familyName: `Al${stamp}` });
    await downstreamUser(scim, { userName: `n${stamp}`, email: `new.${stamp}@example.com`, givenName: "Nu", familyName: "User" });
    await downstreamUser(scim, {
      userName: `i${stamp}`,
      email: `off.${stamp}@example.com`,
      givenName: "In",
      familyName: "A",
      active: false,
    });
    await downstreamUser(scim, { userName: `t${stamp}`, email: `twin.${stamp}@example.com`, givenName: "Tw", familyName: "In" });

    const started = await api("POST", `/api/v1/apps/${app.id}/imports`, {}, CLIENT);
    expect(started.status).toBe(202);
    const session = await eventually(async () => {
      const s = (await api("GET", `/api/v1/apps/${app.id}/imports/${started.body.id}`)).body;
      return s.status === "AWAITING_CONFIRMATION" ? s : undefined;
    });
    const planned = await ofRequest(ridOf(started));
    const decisions = planned.filter((e) => e.eventType === "system.import.user.match");
    const byResult = Object.fromEntries(decisions.map((e) => [e.debugContext.debugData.importResult, e]));
    expect(Object.keys(byResult).sort()).toEqual(["CONFLICT", "EXACT", "IGNORED", "NEW", "PARTIAL"]);
    expect(byResult.EXACT).toMatchObject({
      outcome: { result: "SUCCESS" },
      target: [{ id: app.id }, { id: session.id }, { id: exact.id, type: "User" }],
    });
    expect(byResult.PARTIAL).toMatchObject({ outcome: { result: "SUCCESS" }, debugContext: { debugData: { decision: "PENDING" } } });
    expect(byResult.IGNORED).toMatchObject({ outcome: { result: "SKIPPED", reason: expect.stringContaining("inactive") } });
    expect(byResult.CONFLICT).toMatchObject({
      severity: "WARN",
      outcome: { result: "FAILURE", reason: expect.stringContaining("more than one") },
    });
    for (const event of decisions) expectFromJob(event, ridOf(started));

    // Auto-confirmed: the exact match is linked, the new user created and linked.
    const applied = planned.filter((e) => e.eventType !== "system.import.user.match");
    expect(types(applied)).toEqual([
      "application.user_membership.add",
      "application.user_membership.add",
      "system.import.complete",
      "system.import.start",
      "system.import.user.create",
    ]);
    expectFromRequest(
      planned.find((e) => e.eventType === "system.import.start")!,
      ridOf(started),
      { type: "Token" },
      await bootstrapTokenId(),
    );
    const created = applied.find((e) => e.eventType === "system.import.user.create")!;
    expect(created.target[2]).toMatchObject({ type: "User", displayName: `n${stamp}` });

    const items = (await api("GET", `/api/v1/apps/${app.id}/imports/${session.id}/items?limit=50`)).body;
    const pending = items.filter((i: { decision: string }) => i.decision === "PENDING").map((i: { id: string }) => i.id);
    expect(pending).toHaveLength(2); // the partial match and the conflict
    const confirmed = await api("POST", `/api/v1/apps/${app.id}/imports/${session.id}/confirm`, { itemIds: pending }, CLIENT);
    expect(confirmed.status).toBe(200);
    const done = await eventually(async () => {
      const events = await ofRequest(ridOf(confirmed));
      return events.some((e) => e.eventType === "system.import.complete") ? events : undefined;
    });
    expect(types(done)).toEqual([
      "application.user_membership.add",
      "application.user_membership.add",
      "system.import.complete",
      "system.import.user_match.confirm",
    ]);
    const [linked, refused] = ["SUCCESS", "FAILURE"].map((result) =>
      done.find((e) => e.eventType === "application.user_membership.add" && e.outcome.result === result)!,
    );
    expect(linked.target[2]).toMatchObject({ id: partial.id, type: "User" });
    expect(refused).toMatchObject({ severity: "WARN", debugContext: { debugData: { importResult: "CONFLICT" } } });
    expect(refused.outcome.reason).toContain("conflict");
    for (const event of done.filter((e) => e.eventType !== "system.import.user_match.confirm")) expectFromJob(event, ridOf(confirmed));
  }, 60_000);
});

describe("System Log: reading it back", () => {
  it("filters on eventType, target.id, actor.id and outcome.result, combined with and/or", async () => {
    const { admin, headers } = await adminToken();
    const app = await createApp();
    const [a, b] = [await createUser(), await createUser()];
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: a.id }, headers);
    await api("POST", `/api/v1/apps/${app.id}/users`, { id: b.id });

    const forApp = await logs(`target.id eq "${app.id}"`);
    expect(types(forApp)).toEqual(["application.lifecycle.create", "application.user_membership.add", "application.user_membership.add"]);
    const byAdmin = await logs(`actor.id eq "${admin.id}" and target.id eq "${app.id}"`);
    expect(byAdmin.map((e) => e.target[1].id)).toEqual([a.id]);
    const either = await logs(`target.id eq "${a.id}" or target.id eq "${b.id}"`);
    expect(either.filter((e) => e.eventType === "application.user_membership.add")).toHaveLength(2);
    const typed = await logs(`eventType sw "application.user_membership" and target.id eq "${app.id}"`);
    expect(typed).toHaveLength(2);
    expect(await logs(`outcome.result eq "FAILURE" and target.id eq "${app.id}"`)).toEqual([]);
    expect(await logs(`outcome.result eq "SUCCESS" and target.id eq "${app.id}"`)).toHaveLength(3);
    expect((await api("GET", `/api/v1/logs?filter=${encodeURIComponent('published eq "x"')}`)).status).toBe(400);
    expect((await api("GET", `/api/v1/logs?filter=${encodeURIComponent('target.id co "x"')}`)).status).toBe(400);
  });

  it("never carries a secret: no token, password or downstream credential in any event", async () => {
    // Runs last: the tests above set app and Okta passwords, minted tokens and SCIM credentials.
    const all = await logs("");
    expect(all.length).toBeGreaterThan(50);
    const text = JSON.stringify(all);
    for (const secret of SECRETS) expect(text, secret).not.toContain(secret);
    for (const event of all) expectLogEvent(event);
  });
});
