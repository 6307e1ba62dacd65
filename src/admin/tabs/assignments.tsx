import { Hono } from "hono";
import { createDb } from "../../db/client";
import { appUserDefaults } from "../../services/app-profiles";
import { unless } from "../api-client";
import { ActionForm, AppHeader, Banner, CapNote, Page, userDisplayName } from "../components";
import { act, field, fields, formOf, seg, type AdminContext, type AdminEnv, type FormValues } from "../context";
import { takeFlash } from "../session";
import {
  appGroupsByPriority,
  assignedMessage,
  ConfirmAssignPage,
  personalAttributes,
  standingMark,
  standingOf,
  standingsOf,
  whatAssigningChanges,
  type Standing,
} from "./people-picker";
import type {
  ApiApp,
  ApiAppGroup,
  ApiAppUser,
  ApiAppUserSchema,
  ApiConnection,
  ApiGroup,
  ApiSchemaProperty,
  ApiPendingPassword,
  ApiTask,
  ApiUser,
} from "../wire-types";

const USERS_PER_PAGE = 100;
type Show = "all" | "people" | "groups";

/** The app's provisioning state as the Assignments tab needs it; absent when not configured. */
async function provisioningState(c: AdminContext, appId: string) {
  const api = c.get("api");
  const connection = await unless(400, api.get<ApiConnection>(`/api/v1/apps/${seg(appId)}/connections/default`));
  if (!connection) return undefined;
  const [unprovisioned, failed, passwords] = await Promise.all([
    api.get<ApiAppUser[]>(`/api/v1/apps/${seg(appId)}/provisioning/unprovisioned-users?limit=500`),
    api.get<ApiTask[]>(`/api/v1/apps/${seg(appId)}/provisioning/tasks?status=FAILED`),
    api.get<ApiPendingPassword[]>(`/api/v1/apps/${seg(appId)}/provisioning/pending-passwords?limit=500`),
  ]);
  return {
    enabled: connection.status === "ENABLED",
    unprovisioned: new Set(unprovisioned.map((u) => u.id)),
    errors: new Map(failed.filter((task) => task.userId).map((task) => [task.userId!, task.lastError ?? `HTTP ${task.lastStatus}`])),
    pendingPasswords: new Map(passwords.map((p) => [p.userId, p])),
  };
}

export const assignmentsRoutes = new Hono<AdminEnv>()
  .get("/:appId", (c) => c.redirect(`/admin/apps/${seg(c.req.param("appId"))}/assignments`, 303))
  .get("/:appId/assignments", async (c) => {
    const appId = c.req.param("appId");
    const api = c.get("api");
    const show: Show = (["people", "groups"] as const).find((s) => s === c.req.query("show")) ?? "all";
    const after = c.req.query("after");
    const userParams = new URLSearchParams({ expand: "user", limit: String(USERS_PER_PAGE) });
    if (after) userParams.set("after", after);
    const [app, users, groups, provisioning] = await Promise.all([
      api.get<ApiApp>(`/api/v1/apps/${seg(appId)}`),
      show === "groups" ? undefined : api.page<ApiAppUser>(`/api/v1/apps/${seg(appId)}/users?${userParams}`),
      show === "people" ? undefined : api.get<ApiAppGroup[]>(`/api/v1/apps/${seg(appId)}/groups?expand=group&limit=200`),
      provisioningState(c, appId),
    ]);
    const base = `/admin/apps/${seg(app.id)}`;
    const csrf = c.get("session").csrf;
    const notProvisioned = provisioning?.unprovisioned.size ?? 0;
    return c.html(
      <Page title={`${app.label}: Assignments`} csrf={csrf} flash={takeFlash(c)}>
        <AppHeader app={app} active="assignments" />
        {provisioning?.enabled && notProvisioned > 0 && (
          <Banner
            kind="warn"
            title={`${notProvisioned === 500 ? "500 or more" : notProvisioned} assignment${notProvisioned === 1 ? " is" : "s are"} not provisioned to ${app.label}.`}
          >
            <p>These users were assigned before provisioning was turned on. Provision Users creates or links their accounts in the app.</p>
            <ActionForm action={`${base}/provision-users`} csrf={csrf}>
              <button type="submit" class="primary">
                Provision Users
              </button>
            </ActionForm>
          </Banner>
        )}
        <div class="toolbar">
          <a class="button primary" href={`${base}/assign?kind=people`}>
            Assign to People
          </a>
          <a class="button primary" href={`${base}/assign?kind=groups`}>
            Assign to Groups
          </a>
          <nav aria-label="Filter assignments" class="toolbar">
            <span>Show:</span>
            {(["all", "people", "groups"] as const).map((s) => (
              <a href={`${base}/assignments${s === "all" ? "" : `?show=${s}`}`} aria-current={s === show ? "page" : undefined}>
                {s === "all" ? "All" : s === "people" ? "People" : "Groups"}
              </a>
            ))}
          </nav>
        </div>
        {users && <PeopleTable base={base} users={users.items} provisioning={provisioning} next={users.after} show={show} />}
        {groups && <GroupsTable base={base} groups={groups} />}
        {groups && <CapNote shown={groups.length} cap={200} apiPath={`/api/v1/apps/${app.id}/groups`} />}
      </Page>,
    );
  })
  .post("/:appId/provision-users", async (c) => {
    const appId = c.req.param("appId");
    return act(c, `/admin/apps/${seg(appId)}/assignments`, async () => {
      // The job counts its users as it walks them, so its total may still be 0 here.
      await c.get("api").send("POST", `/api/v1/apps/${seg(appId)}/provisioning/provision-users`);
      return "Provisioning started for the unprovisioned assignments; the Provisioning column shows their progress.";
    });
  })
  .get("/:appId/assign", async (c) => {
    const appId = c.req.param("appId");
    const kind = c.req.query("kind") === "groups" ? "groups" : "people";
    const q = (c.req.query("q") ?? "").slice(0, 100);
    const api = c.get("api");
    const params = new URLSearchParams({ limit: "20" });
    if (q) params.set("q", q);
    const [app, found, assigned] = await Promise.all([
      api.get<ApiApp>(`/api/v1/apps/${seg(appId)}`),
      kind === "people" ? api.get<ApiUser[]>(`/api/v1/users?${params}`) : api.get<ApiGroup[]>(`/api/v1/groups?${params}`),
      kind === "people" ? Promise.resolve([]) : api.get<ApiAppGroup[]>(`/api/v1/apps/${seg(appId)}/groups?limit=200`),
    ]);
    const assignedGroups = new Set(assigned.map((g) => g.id));
    // Who already has the app, and how: marked, and their button asks first (see people-picker.tsx).
    const standings = kind === "people" ? await standingsOf(api, app.id, found as ApiUser[]) : new Map<string, Standing>();
    const base = `/admin/apps/${seg(app.id)}`;
    const csrf = c.get("session").csrf;
    const noun = kind === "people" ? "people" : "groups";
    return c.html(
      <Page title={`Assign ${app.label} to ${noun}`} csrf={csrf} flash={takeFlash(c)}>
        <AppHeader app={app} active="assignments" />
        <h2>
          Assign {app.label} to {noun === "people" ? "People" : "Groups"}
        </h2>
        <form method="get" action={`${base}/assign`} role="search" class="toolbar">
          <input type="hidden" name="kind" value={kind} />
          <label for="picker-search">Search {noun}</label>
          <input
            type="search"
            id="picker-search"
            name="q"
            value={q}
            placeholder={kind === "people" ? "Name, username or email" : "Group name"}
            autofocus
          />
          <button type="submit">Search</button>
        </form>
        {found.length === 0 ? (
          <p>No {noun} match.</p>
        ) : (
          <table>
            <caption class="sr-only">Search results</caption>
            <thead>
              <tr>
                <th scope="col">{kind === "people" ? "Person" : "Group"}</th>
                <th scope="col">{kind === "people" ? "Username" : "Description"}</th>
                {kind === "people" && <th scope="col">Assignment</th>}
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {kind === "people"
                ? (found as ApiUser[]).map((user) => {
                    const standing = standings.get(user.id) ?? { kind: "none" };
                    return (
                      <tr>
                        <td>{userDisplayName(user)}</td>
                        <td>{user.profile.login}</td>
                        <td class={standing.kind === "none" ? "muted" : "assigned-mark"}>{standingMark(standing)}</td>
                        <td>
                          {standing.kind === "none" ? (
                            <ActionForm action={`${base}/assign/people`} csrf={csrf} inline>
                              <input type="hidden" name="userId" value={user.id} />
                              <input type="hidden" name="q" value={q} />
                              <button type="submit" aria-label={`Assign ${userDisplayName(user)}`}>
                                Assign
                              </button>
                            </ActionForm>
                          ) : (
                            <a
                              class="button"
                              href={`${base}/assign/people/confirm?${new URLSearchParams({ userId: user.id, q })}`}
                              aria-label={`${standing.kind === "group" ? "Assign directly" : "Assign again"}: ${userDisplayName(user)}`}
                            >
                              {standing.kind === "group" ? "Assign directly…" : "Assign again…"}
                            </a>
                          )}
                        </td>
                      </tr>
                    );
                  })
                : (found as ApiGroup[]).map((group) => (
                    <tr>
                      <td>{group.profile.name}</td>
                      <td>{group.profile.description ?? ""}</td>
                      <td>
                        {assignedGroups.has(group.id) ? (
                          <span>✓ Assigned</span>
                        ) : (
                          <ActionForm action={`${base}/assign/groups`} csrf={csrf} inline>
                            <input type="hidden" name="groupId" value={group.id} />
                            <input type="hidden" name="q" value={q} />
                            <button type="submit" aria-label={`Assign ${group.profile.name}`}>
                              Assign
                            </button>
                          </ActionForm>
                        )}
                      </td>
                    </tr>
                  ))}
            </tbody>
          </table>
        )}
        <p>
          <a href={`${base}/assignments`}>Done</a>
        </p>
      </Page>,
    );
  })
  .get("/:appId/assign/people/confirm", async (c) => {
    const appId = c.req.param("appId");
    const userId = c.req.query("userId") ?? "";
    const q = (c.req.query("q") ?? "").slice(0, 100);
    const api = c.get("api");
    // Paths first: a bad segment must refuse the page before any call starts.
    const [appPath, userPath] = [`/api/v1/apps/${seg(appId)}`, `/api/v1/users/${seg(userId)}`];
    const [app, user, appGroups, personal] = await Promise.all([
      api.get<ApiApp>(appPath),
      api.get<ApiUser>(userPath),
      appGroupsByPriority(api, appId),
      personalAttributes(api, appId),
    ]);
    const standing = await standingOf(api, app.id, user.id, appGroups);
    const changes = whatAssigningChanges(standing, userDisplayName(user), app, personal);
    return c.html(<ConfirmAssignPage app={app} user={user} standing={standing} changes={changes} csrf={c.get("session").csrf} q={q} />);
  })
  .post("/:appId/assign/people", async (c) => {
    const appId = c.req.param("appId");
    const form = await formOf(c);
    const [userId, q] = [field(form, "userId"), field(form, "q")];
    const back = `/admin/apps/${seg(appId)}/assign?${new URLSearchParams({ kind: "people", q })}`;
    const api = c.get("api");
    // Someone who already has the app is assigned again only after the page that says what changes.
    let askFirst: string | undefined;
    const response = await act(c, back, async () => {
      const before = await standingOf(api, appId, userId, await appGroupsByPriority(api, appId));
      if (before.kind !== "none" && field(form, "confirmed") !== "yes") {
        askFirst = `/admin/apps/${seg(appId)}/assign/people/confirm?${new URLSearchParams({ userId, q })}`;
        return;
      }
      const name = before.kind === "none" ? userId : userDisplayName(await api.get<ApiUser>(`/api/v1/users/${seg(userId)}`));
      const row = await api.send<ApiAppUser>("POST", `/api/v1/apps/${seg(appId)}/users`, { id: userId });
      return assignedMessage(before, row, name);
    });
    return askFirst ? c.redirect(askFirst, 303) : response;
  })
  .post("/:appId/assign/groups", async (c) => {
    const appId = c.req.param("appId");
    const form = await formOf(c);
    const back = `/admin/apps/${seg(appId)}/assign?${new URLSearchParams({ kind: "groups", q: field(form, "q") })}`;
    return act(c, back, async () => {
      await c.get("api").send("PUT", `/api/v1/apps/${seg(appId)}/groups/${seg(field(form, "groupId"))}`, {});
      return "Group assigned. Its members are being assigned.";
    });
  })
  .get("/:appId/users/:userId", async (c) => {
    const { appId, userId } = c.req.param();
    const api = c.get("api");
    const [app, appUser, schema] = await Promise.all([
      api.get<ApiApp>(`/api/v1/apps/${seg(appId)}`),
      api.get<ApiAppUser>(`/api/v1/apps/${seg(appId)}/users/${seg(userId)}?expand=user`),
      api.get<ApiAppUserSchema>(`/api/v1/meta/schemas/apps/${seg(appId)}/default`),
    ]);
    const defaults = (await appUserDefaults(createDb(c.env.DB), appId, userId)) ?? {};
    return c.html(
      <Page title={`Edit assignment`} csrf={c.get("session").csrf} flash={takeFlash(c)}>
        <AppHeader app={app} active="assignments" />
        <EditAssignment
          app={app}
          appUser={appUser}
          attributes={schema.definitions.custom.properties}
          defaults={defaults}
          csrf={c.get("session").csrf}
        />
      </Page>,
    );
  })
  .post("/:appId/users/:userId", async (c) => {
    const { appId, userId } = c.req.param();
    const api = c.get("api");
    const form = await formOf(c);
    return act(c, `/admin/apps/${seg(appId)}/users/${seg(userId)}`, async () => {
      const path = `/api/v1/apps/${seg(appId)}/users/${seg(userId)}`;
      const [schema, current] = await Promise.all([
        api.get<ApiAppUserSchema>(`/api/v1/meta/schemas/apps/${seg(appId)}/default`),
        api.get<ApiAppUser>(path),
      ]);
      // The whole profile goes back (Okta's fetch-change-POST): values equal to their default stay
      // defaults, and overrides of attributes the form does not show are kept.
      const profile = { ...current.profile, ...profileFromForm(form, schema.definitions.custom.properties) };
      const userName = field(form, "userName").trim();
      await api.send("POST", path, {
        // Credentials only when changed: apps with shared credentials refuse any.
        ...(userName && userName !== current.credentials.userName ? { credentials: { userName } } : {}),
        profile,
      });
      return "Assignment saved.";
    });
  })
  .post("/:appId/users/:userId/reset", async (c) => {
    const { appId, userId } = c.req.param();
    const attribute = field(await formOf(c), "attribute");
    return act(c, `/admin/apps/${seg(appId)}/users/${seg(userId)}`, async () => {
      // null is the API's "reset to default": the attribute follows its mapping (or group) again.
      // The rest of the profile is posted back as it is, so other overrides stay.
      const path = `/api/v1/apps/${seg(appId)}/users/${seg(userId)}`;
      const current = await c.get("api").get<ApiAppUser>(path);
      await c.get("api").send("POST", path, { profile: { ...current.profile, [attribute]: null } });
      return `${attribute} reset to its default.`;
    });
  })
  .get("/:appId/users/:userId/unassign", async (c) => {
    const { appId, userId } = c.req.param();
    const api = c.get("api");
    const [app, appUser] = await Promise.all([
      api.get<ApiApp>(`/api/v1/apps/${seg(appId)}`),
      api.get<ApiAppUser>(`/api/v1/apps/${seg(appId)}/users/${seg(userId)}?expand=user`),
    ]);
    const name = appUser._embedded ? userDisplayName(appUser._embedded.user) : appUser.id;
    return c.html(
      <ConfirmPage
        app={app}
        csrf={c.get("session").csrf}
        question={`Unassign ${name} from ${app.label}?`}
        detail="The user loses access to the app. If the app provisions users, their account there is deactivated (not deleted)."
        action={`/admin/apps/${seg(appId)}/users/${seg(userId)}/unassign`}
        button="Unassign"
      />,
    );
  })
  .post("/:appId/users/:userId/unassign", async (c) => {
    const { appId, userId } = c.req.param();
    return act(c, `/admin/apps/${seg(appId)}/assignments`, async () => {
      const response = await c.get("api").request("DELETE", `/api/v1/apps/${seg(appId)}/users/${seg(userId)}`);
      return response.headers.get("X-Provisio-Assignment-Retained-By") === "GROUP"
        ? "Direct assignment removed; the user keeps the app through a group."
        : "User unassigned.";
    });
  })
  .get("/:appId/groups/:groupId/unassign", async (c) => {
    const { appId, groupId } = c.req.param();
    const api = c.get("api");
    const [app, group] = await Promise.all([
      api.get<ApiApp>(`/api/v1/apps/${seg(appId)}`),
      api.get<ApiGroup>(`/api/v1/groups/${seg(groupId)}`),
    ]);
    return c.html(
      <ConfirmPage
        app={app}
        csrf={c.get("session").csrf}
        question={`Unassign the group ${group.profile.name} from ${app.label}?`}
        detail="Members who have the app only through this group lose it; members with a direct assignment keep it."
        action={`/admin/apps/${seg(appId)}/groups/${seg(groupId)}/unassign`}
        button="Unassign group"
      />,
    );
  })
  .post("/:appId/groups/:groupId/unassign", async (c) => {
    const { appId, groupId } = c.req.param();
    return act(c, `/admin/apps/${seg(appId)}/assignments`, async () => {
      await c.get("api").send("DELETE", `/api/v1/apps/${seg(appId)}/groups/${seg(groupId)}`);
      return "Group unassigned.";
    });
  });

type ProvisioningState = Awaited<ReturnType<typeof provisioningState>>;

function PeopleTable(props: { base: string; users: ApiAppUser[]; provisioning: ProvisioningState; next: string | null; show: Show }) {
  const { base, users, provisioning } = props;
  return (
    <section aria-labelledby="people-heading">
      <h2 id="people-heading">People</h2>
      {users.length === 0 ? (
        <p>No one is assigned yet.</p>
      ) : (
        <table>
          <caption class="sr-only">People assigned</caption>
          <thead>
            <tr>
              <th scope="col">Person</th>
              <th scope="col">App username</th>
              <th scope="col">Assigned</th>
              <th scope="col">Status</th>
              <th scope="col">Provisioning</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.map((appUser) => {
              const user = appUser._embedded?.user;
              const name = user ? userDisplayName(user) : appUser.id;
              const error = provisioning?.errors.get(appUser.id);
              const unprovisioned = provisioning?.unprovisioned.has(appUser.id);
              const password = provisioning?.pendingPasswords.get(appUser.id);
              return (
                <tr>
                  <td>
                    {name}
                    {user && <div class="muted">{user.profile.login}</div>}
                  </td>
                  <td>{appUser.credentials.userName ?? <span class="muted">none</span>}</td>
                  <td>{appUser.scope === "GROUP" ? "By group" : "Directly"}</td>
                  <td>
                    <span class="status">{appUser.status}</span>
                  </td>
                  <td>
                    {unprovisioned ? <span class="warn-text">⚠ Not provisioned</span> : <span>{appUser.syncState}</span>}
                    {error && (
                      <div class="bad-text" role="note">
                        ✖ Error: {error}
                      </div>
                    )}
                    {password && (
                      <div class={password.status === "DELIVERY_FAILED" ? "bad-text" : "warn-text"} role="note">
                        🔑 {password.summary}
                      </div>
                    )}
                  </td>
                  <td>
                    <a
                      class="button icon"
                      href={`${base}/users/${encodeURIComponent(appUser.id)}`}
                      aria-label={`Edit assignment of ${name}`}
                      title="Edit"
                    >
                      ✎
                    </a>{" "}
                    <a
                      class="button icon"
                      href={`${base}/users/${encodeURIComponent(appUser.id)}/unassign`}
                      aria-label={`Unassign ${name}`}
                      title="Unassign"
                    >
                      ✕
                    </a>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {props.next && (
        <p>
          <a
            href={`${base}/assignments?${new URLSearchParams({ ...(props.show === "all" ? {} : { show: props.show }), after: props.next })}`}
          >
            Next page of people
          </a>
        </p>
      )}
    </section>
  );
}

function GroupsTable({ base, groups }: { base: string; groups: ApiAppGroup[] }) {
  return (
    <section aria-labelledby="groups-heading">
      <h2 id="groups-heading">Groups</h2>
      {groups.length === 0 ? (
        <p>No group is assigned.</p>
      ) : (
        <table>
          <caption class="sr-only">Groups assigned</caption>
          <thead>
            <tr>
              <th scope="col">Priority</th>
              <th scope="col">Group</th>
              <th scope="col">Profile values</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((assignment) => {
              const name = assignment._embedded?.group.profile.name ?? assignment.id;
              return (
                <tr>
                  <td>{assignment.priority}</td>
                  <td>{name}</td>
                  <td>
                    {Object.entries(assignment.profile)
                      .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
                      .join(", ") || <span class="muted">none</span>}
                  </td>
                  <td>
                    <a
                      class="button icon"
                      href={`${base}/groups/${encodeURIComponent(assignment.id)}/unassign`}
                      aria-label={`Unassign group ${name}`}
                      title="Unassign"
                    >
                      ✕
                    </a>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function EditAssignment(props: {
  app: ApiApp;
  appUser: ApiAppUser;
  attributes: Record<string, ApiSchemaProperty>;
  defaults: Record<string, unknown>;
  csrf: string;
}) {
  const { app, appUser, attributes, defaults, csrf } = props;
  const user = appUser._embedded?.user;
  const base = `/admin/apps/${encodeURIComponent(app.id)}/users/${encodeURIComponent(appUser.id)}`;
  const names = Object.keys(attributes);
  return (
    <section aria-labelledby="edit-heading">
      <h2 id="edit-heading">Edit assignment: {user ? userDisplayName(user) : appUser.id}</h2>
      <p class="muted">
        Assigned {appUser.scope === "GROUP" ? "by group" : "directly"} · {appUser.status} · {appUser.syncState}
      </p>
      <form method="post" action={base} id="edit-form">
        <input type="hidden" name="_csrf" value={csrf} />
        {app.credentials?.scheme === "SHARED_USERNAME_AND_PASSWORD" ? (
          <p>This app signs everyone in with one shared account, so there is no per-user username.</p>
        ) : (
          <>
            <label for="userName">App username</label>
            <input type="text" id="userName" name="userName" value={appUser.credentials.userName ?? ""} maxlength={100} />
          </>
        )}
        {names.length === 0 ? (
          <p>This app has no custom attributes. Add them with POST /api/v1/meta/schemas/apps/{app.id}/default.</p>
        ) : (
          <table>
            <caption>Attributes. Leave a value empty, or use Reset, to follow the default.</caption>
            <thead>
              <tr>
                <th scope="col">Attribute</th>
                <th scope="col">Value</th>
                <th scope="col">Default</th>
                <th scope="col">Source</th>
              </tr>
            </thead>
            <tbody>
              {names.map((name) => {
                const value = appUser.profile[name];
                const fallback = defaults[name];
                const overridden = value !== undefined && JSON.stringify(value) !== JSON.stringify(fallback);
                const title = attributes[name].title ?? name;
                return (
                  <tr>
                    <td>
                      <label for={`attr-${name}`}>{title}</label>
                      <div class="muted">{name}</div>
                    </td>
                    <td>
                      <AttributeInput name={name} property={attributes[name]} value={value} />
                    </td>
                    <td>{fallback === undefined ? <span class="muted">none</span> : display(fallback)}</td>
                    <td>
                      {overridden ? (
                        <>
                          Overridden{" "}
                          <button
                            type="submit"
                            form={`reset-${name}`}
                            class="icon"
                            aria-label={`Reset ${title} to default`}
                            title="Reset to default"
                          >
                            ↺ Reset
                          </button>
                        </>
                      ) : (
                        "Default"
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <div class="toolbar">
          <button type="submit" class="primary">
            Save
          </button>
          <a href={`/admin/apps/${encodeURIComponent(app.id)}/assignments`}>Back to assignments</a>
        </div>
      </form>
      {names.map((name) => (
        <form method="post" action={`${base}/reset`} id={`reset-${name}`} class="inline">
          <input type="hidden" name="_csrf" value={csrf} />
          <input type="hidden" name="attribute" value={name} />
        </form>
      ))}
    </section>
  );
}

function AttributeInput({ name, property, value }: { name: string; property: ApiSchemaProperty; value: unknown }) {
  const id = `attr-${name}`;
  const fieldName = `profile.${name}`;
  if (property.type === "boolean") {
    return (
      <select id={id} name={fieldName}>
        <option value="" selected={value === undefined}>
          (default)
        </option>
        <option value="true" selected={value === true}>
          true
        </option>
        <option value="false" selected={value === false}>
          false
        </option>
      </select>
    );
  }
  const type = property.type === "number" || property.type === "integer" ? "number" : "text";
  const text = value === undefined || value === null ? "" : Array.isArray(value) ? value.join(", ") : String(value);
  return <input type={type} id={id} name={fieldName} value={text} step={property.type === "number" ? "any" : undefined} />;
}

function display(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The posted attribute values in their schema types; an empty field is null (follow the default). */
export function profileFromForm(form: FormValues, attributes: Record<string, ApiSchemaProperty>): Record<string, unknown> {
  const profile: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(attributes)) {
    const key = `profile.${name}`;
    if (!(key in form)) continue;
    const text = fields(form, key)[0]?.trim() ?? "";
    if (text === "") profile[name] = null;
    else if (property.type === "array")
      profile[name] = text
        .split(",")
        .map((part) => part.trim())
        .filter(Boolean)
        .map((part) => typed(part, property.items?.type));
    else profile[name] = typed(text, property.type);
  }
  return profile;
}

/** A form value in its schema type; a value that does not parse is sent as typed, so the API's check names it. */
function typed(text: string, type: string | undefined): unknown {
  if (type === "boolean") return text === "true" ? true : text === "false" ? false : text;
  if (type === "number" || type === "integer") {
    const number = Number(text);
    return Number.isFinite(number) ? number : text;
  }
  return text;
}

function ConfirmPage(props: { app: ApiApp; csrf: string; question: string; detail: string; action: string; button: string }) {
  return (
    <Page title={props.question} csrf={props.csrf}>
      <AppHeader app={props.app} active="assignments" />
      <h2>{props.question}</h2>
      <p>{props.detail}</p>
      <ActionForm action={props.action} csrf={props.csrf}>
        <div class="toolbar">
          <button type="submit" class="danger">
            {props.button}
          </button>
          <a href={`/admin/apps/${encodeURIComponent(props.app.id)}/assignments`}>Cancel</a>
        </div>
      </ActionForm>
    </Page>
  );
}
