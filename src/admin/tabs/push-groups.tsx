import { Hono } from "hono";
import { ActionForm, AppHeader, CapNote, Page } from "../components";
import { act, field, formOf, seg, type AdminEnv } from "../context";
import { takeFlash } from "../session";
import type { AdminApi } from "../api-client";
import type { ApiApp, ApiAppGroup, ApiGroup, ApiPushMapping } from "../wire-types";

/** Names of the pushed groups, read in a few filtered lists rather than one call per group. */
async function groupNames(api: AdminApi, ids: string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 40) {
    const filter = unique
      .slice(i, i + 40)
      .map((id) => `id eq ${JSON.stringify(id)}`)
      .join(" or ");
    const page = await api.get<ApiGroup[]>(`/api/v1/groups?${new URLSearchParams({ filter, limit: "40" })}`);
    for (const group of page) names.set(group.id, group.profile.name);
  }
  return names;
}

export const pushGroupsRoutes = new Hono<AdminEnv>()
  .get("/:appId/push-groups", async (c) => {
    const appId = seg(c.req.param("appId"));
    const api = c.get("api");
    const [app, mappings, assigned] = await Promise.all([
      api.get<ApiApp>(`/api/v1/apps/${appId}`),
      api.get<ApiPushMapping[]>(`/api/v1/apps/${appId}/group-push/mappings?limit=200`),
      api.get<ApiAppGroup[]>(`/api/v1/apps/${appId}/groups?expand=group&limit=200`),
    ]);
    const names = await groupNames(
      api,
      mappings.map((m) => m.sourceGroupId),
    );
    const csrf = c.get("session").csrf;
    const base = `/admin/apps/${seg(app.id)}/push-groups`;
    const assignedNames = assigned.map((g) => g._embedded?.group.profile.name ?? g.id);
    return c.html(
      <Page title={`${app.label}: Push Groups`} csrf={csrf} flash={takeFlash(c)}>
        <AppHeader app={app} active="push-groups" />
        <section aria-labelledby="push-heading">
          <h2 id="push-heading">Push a group</h2>
          <p class="hint" id="same-group-rule">
            A group that assigns this app cannot also be pushed to it: assignment decides who has the app, push decides which group they are
            in there, and using one group for both makes removals ambiguous (provisio refuses it with E0000027). Create a separate push
            group, for example AppPushGroup next to Accounting.
            {assignedNames.length > 0 && ` Groups assigned to this app now: ${assignedNames.join(", ")}.`}
          </p>
          <ActionForm action={base} csrf={csrf} label="Push a group">
            <label for="groupName">Okta group name</label>
            <input type="text" id="groupName" name="groupName" required aria-describedby="same-group-rule" />
            <fieldset>
              <legend>In the app</legend>
              <label class="check">
                <input type="radio" name="target" value="create" checked /> Create a group with the same name
              </label>
              <label class="check">
                <input type="radio" name="target" value="link" /> Link to an existing group in the app
              </label>
              <label for="targetGroupId">Existing app group id (for linking)</label>
              <input type="text" id="targetGroupId" name="targetGroupId" />
            </fieldset>
            <button type="submit" class="primary">
              Push group
            </button>
          </ActionForm>
        </section>
        <section aria-labelledby="pushed-heading">
          <h2 id="pushed-heading">Pushed groups</h2>
          {mappings.length === 0 ? (
            <p>No group is pushed to this app.</p>
          ) : (
            <table>
              <caption class="sr-only">Pushed groups</caption>
              <thead>
                <tr>
                  <th scope="col">Okta group</th>
                  <th scope="col">Group in app</th>
                  <th scope="col">Push status</th>
                  <th scope="col">Last push</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {mappings.map((m) => {
                  const name = names.get(m.sourceGroupId) ?? m.sourceGroupId;
                  return (
                    <tr>
                      <td>{name}</td>
                      <td>{m.targetGroupId ? <code>{m.targetGroupId}</code> : <span class="muted">not created yet</span>}</td>
                      <td>
                        <span class="status">{m.status}</span>
                        {m.errorSummary && <div class="bad-text">✖ Error: {m.errorSummary}</div>}
                      </td>
                      <td>{m.lastPush ? new Date(m.lastPush).toUTCString() : <span class="muted">never</span>}</td>
                      <td>
                        <ActionForm action={`${base}/${encodeURIComponent(m.id)}/status`} csrf={csrf} inline>
                          <input type="hidden" name="status" value={m.status === "ACTIVE" ? "INACTIVE" : "ACTIVE"} />
                          <button type="submit" aria-label={`${m.status === "ACTIVE" ? "Deactivate" : "Activate"} push of ${name}`}>
                            {m.status === "ACTIVE" ? "Deactivate" : "Activate and push now"}
                          </button>
                        </ActionForm>{" "}
                        <a class="button" href={`${base}/${encodeURIComponent(m.id)}/unlink`} aria-label={`Unlink ${name}`}>
                          Unlink
                        </a>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          <CapNote shown={mappings.length} cap={200} apiPath={`/api/v1/apps/${app.id}/group-push/mappings`} />
        </section>
      </Page>,
    );
  })
  .post("/:appId/push-groups", async (c) => {
    const appId = seg(c.req.param("appId"));
    const form = await formOf(c);
    const api = c.get("api");
    return act(c, `/admin/apps/${appId}/push-groups`, async () => {
      const name = field(form, "groupName").trim();
      if (!name) return { kind: "error", text: "Give the name of the Okta group to push." };
      const exact = await api.get<ApiGroup[]>(
        `/api/v1/groups?${new URLSearchParams({ search: `profile.name eq ${JSON.stringify(name)}`, limit: "2" })}`,
      );
      if (exact.length !== 1) {
        return {
          kind: "error",
          text: exact.length === 0 ? `No Okta group is named “${name}”.` : `More than one group is named “${name}”.`,
        };
      }
      const link = field(form, "target") === "link";
      const targetGroupId = field(form, "targetGroupId").trim();
      if (link && !targetGroupId) return { kind: "error", text: "Give the id of the app group to link to." };
      await api.send("POST", `/api/v1/apps/${appId}/group-push/mappings`, {
        sourceGroupId: exact[0].id,
        ...(link ? { targetGroupId } : { targetGroupName: exact[0].profile.name }),
      });
      return `${exact[0].profile.name} is being pushed.`;
    });
  })
  .post("/:appId/push-groups/:mappingId/status", async (c) => {
    const appId = seg(c.req.param("appId"));
    const status = field(await formOf(c), "status") === "ACTIVE" ? "ACTIVE" : "INACTIVE";
    return act(c, `/admin/apps/${appId}/push-groups`, async () => {
      await c.get("api").send("PATCH", `/api/v1/apps/${appId}/group-push/mappings/${seg(c.req.param("mappingId"))}`, { status });
      return status === "ACTIVE" ? "Push activated." : "Push deactivated.";
    });
  })
  .get("/:appId/push-groups/:mappingId/unlink", async (c) => {
    const appId = seg(c.req.param("appId"));
    const api = c.get("api");
    const [app, mapping] = await Promise.all([
      api.get<ApiApp>(`/api/v1/apps/${appId}`),
      api.get<ApiPushMapping>(`/api/v1/apps/${appId}/group-push/mappings/${seg(c.req.param("mappingId"))}`),
    ]);
    const group = await api.get<ApiGroup>(`/api/v1/groups/${seg(mapping.sourceGroupId)}`);
    const csrf = c.get("session").csrf;
    const base = `/admin/apps/${seg(app.id)}/push-groups`;
    return c.html(
      <Page title="Unlink pushed group" csrf={csrf}>
        <AppHeader app={app} active="push-groups" />
        <h2>Unlink {group.profile.name}?</h2>
        <ActionForm action={`${base}/${encodeURIComponent(mapping.id)}/unlink`} csrf={csrf} label="Unlink pushed group">
          <fieldset>
            <legend>The group in {app.label}</legend>
            <label class="check">
              <input type="radio" name="deleteTargetGroup" value="false" checked /> Leave the group in the app
            </label>
            <label class="check">
              <input type="radio" name="deleteTargetGroup" value="true" /> Delete the group in the app
            </label>
          </fieldset>
          <div class="toolbar">
            <button type="submit" class="danger">
              Unlink
            </button>
            <a href={base}>Cancel</a>
          </div>
        </ActionForm>
      </Page>,
    );
  })
  .post("/:appId/push-groups/:mappingId/unlink", async (c) => {
    const appId = seg(c.req.param("appId"));
    const deleteTargetGroup = field(await formOf(c), "deleteTargetGroup") === "true";
    const path = `/api/v1/apps/${appId}/group-push/mappings/${seg(c.req.param("mappingId"))}`;
    return act(c, `/admin/apps/${appId}/push-groups`, async () => {
      // Okta deletes only inactive mappings; unlinking in its console deactivates first, as here.
      const mapping = await c.get("api").get<ApiPushMapping>(path);
      if (mapping.status !== "INACTIVE") await c.get("api").send("PATCH", path, { status: "INACTIVE" });
      await c.get("api").send("DELETE", `${path}?deleteTargetGroup=${deleteTargetGroup}`);
      return deleteTargetGroup ? "Unlinked; the group in the app is being deleted." : "Unlinked; the group stays in the app.";
    });
  });
