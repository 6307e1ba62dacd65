import { Hono } from "hono";
import { ApiProblem } from "../api-client";
import { ActionForm, AppHeader, Banner, Page } from "../components";
import { checked, field, formOf, seg, type AdminEnv } from "../context";
import { setFlash } from "../session";
import type { ApiApp } from "../wire-types";

/** The seed's reason for a separate instance, shown where the admin makes one. */
export const SEPARATE_INSTANCE_REASON =
  "Create a separate instance of an app integration intended only for Okta provisioning: the instance users sign in with stays as it is, and provisioning is configured, tested and turned on in the other, which users do not see on their My Apps page.";

/** A separate instance of an app (POST /api/v1/apps/{appId}/clone), for provisioning next to an SSO instance. */
export const appInstanceRoutes = new Hono<AdminEnv>()
  .get("/:appId/clone", async (c) => {
    const app = await c.get("api").get<ApiApp>(`/api/v1/apps/${seg(c.req.param("appId"))}`);
    return c.html(<ClonePage app={app} csrf={c.get("session").csrf} label={`${app.label} (Provisioning)`} hide={true} />);
  })
  .post("/:appId/clone", async (c) => {
    const api = c.get("api");
    const app = await api.get<ApiApp>(`/api/v1/apps/${seg(c.req.param("appId"))}`);
    const form = await formOf(c);
    const hide = checked(form, "hide");
    try {
      const clone = await api.send<ApiApp>("POST", `/api/v1/apps/${seg(app.id)}/clone`, {
        label: field(form, "label").trim(),
        ...(hide ? { visibility: { autoSubmitToolbar: false, hide: { iOS: true, web: true } } } : {}),
      });
      setFlash(c, {
        kind: "ok",
        text: `Created ${clone.label}, a separate instance of ${app.label}. Credentials are never copied: enter this instance's SCIM connection and Test API Credentials.`,
      });
      return c.redirect(`/admin/apps/${seg(clone.id)}/provisioning`, 303);
    } catch (error) {
      if (!(error instanceof ApiProblem) || error.status === 401) throw error;
      return c.html(<ClonePage app={app} csrf={c.get("session").csrf} label={field(form, "label")} hide={hide} problem={error} />, 400);
    }
  });

function ClonePage(props: { app: ApiApp; csrf: string; label: string; hide: boolean; problem?: ApiProblem }) {
  const { app, problem } = props;
  return (
    <Page title={`${app.label}: separate instance`} csrf={props.csrf}>
      <AppHeader app={app} active="provisioning" />
      <h2>Separate instance for provisioning</h2>
      <p id="separate-instance-reason">{SEPARATE_INSTANCE_REASON}</p>
      <p>
        The new instance gets this app's template, sign-on settings, app-user attributes, mappings and provisioning options. It gets no
        assignments, no pushed groups and no secrets.
      </p>
      {problem && <Banner kind="error" title={`${problem.summary} (${problem.errorCode})`} causes={problem.causes} />}
      <ActionForm action={`/admin/apps/${seg(app.id)}/clone`} csrf={props.csrf} label="Separate instance">
        <label for="clone-label">Label of the new instance</label>
        <input type="text" id="clone-label" name="label" value={props.label} size={50} />
        <label class="check">
          <input type="checkbox" name="hide" checked={props.hide} /> Hide it from users' My Apps (it is for provisioning only)
        </label>
        <p>
          <button type="submit" class="primary">
            Create separate instance
          </button>
        </p>
      </ActionForm>
    </Page>
  );
}
