import { Hono } from "hono";
import type { Child } from "hono/jsx";
import { ApiProblem } from "../api-client";
import { ActionForm, Banner, Page } from "../components";
import { checked, field, formOf, seg, type AdminContext, type AdminEnv, type FormValues } from "../context";
import { setFlash } from "../session";
import type { ApiApp } from "../wire-types";
import { signOnName } from "./catalog";

// The App Integration Wizard: sign-on method, then the settings that method requires, and
// optionally a SCIM connection; the app is created by the API (whose errors the form shows)
// and the wizard ends on the new app's Provisioning tab.

const METHODS = [
  { mode: "BOOKMARK", hint: "A link to an app that signs users in on its own." },
  { mode: "AUTO_LOGIN", hint: "Users sign in to the app's own login page (SWA)." },
  { mode: "SAML_2_0", hint: "The app accepts SAML 2.0 assertions." },
  { mode: "OPENID_CONNECT", hint: "An OAuth 2.0 / OpenID Connect client." },
] as const;
type Method = (typeof METHODS)[number]["mode"];

const isMethod = (value: string | undefined): value is Method => METHODS.some((m) => m.mode === value);

const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);

/** The Application body for the chosen method, from the form; the API decides what is valid. */
function applicationBody(mode: Method, form: FormValues): Record<string, unknown> {
  const label = field(form, "label").trim();
  switch (mode) {
    case "BOOKMARK":
      return { label, signOnMode: mode, settings: { app: { url: field(form, "url").trim() } } };
    case "AUTO_LOGIN":
      return { label, signOnMode: mode, settings: { signOn: { loginUrl: field(form, "loginUrl").trim() } } };
    case "SAML_2_0":
      return {
        label,
        signOnMode: mode,
        settings: { signOn: { ssoAcsUrl: field(form, "ssoAcsUrl").trim(), audience: field(form, "audience").trim() } },
      };
    case "OPENID_CONNECT": {
      const type = (["web", "browser", "native", "service"] as const).find((t) => t === field(form, "applicationType")) ?? "web";
      const jwk = field(form, "publicJwk").trim();
      let key: unknown = jwk;
      try {
        key = jwk ? JSON.parse(jwk) : undefined;
      } catch {
        // Sent as the text it is: the API names what is wrong with it.
      }
      const initiate = field(form, "initiateLoginUri").trim();
      return {
        label,
        signOnMode: mode,
        settings: {
          oauthClient: {
            application_type: type,
            grant_types: type === "service" ? ["client_credentials"] : ["authorization_code"],
            redirect_uris: lines(field(form, "redirectUris")),
            ...(initiate ? { initiate_login_uri: initiate } : {}),
            ...(key !== undefined ? { jwks: { keys: [key] } } : {}),
          },
        },
        credentials: {
          oauthClient: {
            token_endpoint_auth_method: type === "service" ? "private_key_jwt" : type === "web" ? "client_secret_basic" : "none",
          },
        },
      };
    }
  }
}

function connectionBody(form: FormValues) {
  const scheme = (["BASIC", "HEADER"] as const).find((s) => s === field(form, "authScheme")) ?? "TOKEN";
  return {
    baseUrl: field(form, "scimBaseUrl").trim(),
    profile:
      scheme === "BASIC"
        ? { authScheme: scheme, username: field(form, "scimUsername"), password: field(form, "scimPassword") || undefined }
        : { authScheme: scheme, token: field(form, "scimToken") || undefined },
  };
}

/** Creates the app, then its connection; a connection the API refuses leaves the app made and says why on its Provisioning tab. */
async function createIntegration(c: AdminContext, mode: Method, form: FormValues): Promise<Response> {
  const api = c.get("api");
  const app = await api.send<ApiApp>("POST", "/api/v1/apps", applicationBody(mode, form));
  const provisioning = `/admin/apps/${seg(app.id)}/provisioning`;
  if (!checked(form, "scim")) {
    setFlash(c, { kind: "ok", text: `Created ${app.label}.` });
    return c.redirect(provisioning, 303);
  }
  try {
    await api.send("POST", `/api/v1/apps/${seg(app.id)}/connections/default?activate=true`, connectionBody(form));
    const test = await api.send<{ status: string; errorSummary: string | null }>(
      "POST",
      `/api/v1/apps/${seg(app.id)}/connections/default/test`,
    );
    setFlash(
      c,
      test.status === "SUCCESS"
        ? { kind: "ok", text: `Created ${app.label} with SCIM provisioning. API credentials verified. Choose what to provision below.` }
        : { kind: "error", text: `Created ${app.label}, but the API credentials test failed: ${test.errorSummary ?? "unknown error"}` },
    );
  } catch (error) {
    if (!(error instanceof ApiProblem) || error.status === 401) throw error;
    setFlash(c, {
      kind: "error",
      text: `Created ${app.label}, but its SCIM connection was not saved: ${error.summary}`,
      causes: error.causes,
    });
  }
  return c.redirect(provisioning, 303);
}

export const createAppRoutes = new Hono<AdminEnv>()
  .get("/new", (c) => {
    const mode = c.req.query("signOnMode");
    const csrf = c.get("session").csrf;
    if (!isMethod(mode)) return c.html(<ChooseMethod csrf={csrf} />);
    return c.html(<SettingsStep csrf={csrf} mode={mode} values={{}} />);
  })
  .post("/new", async (c) => {
    const form = await formOf(c);
    const mode = field(form, "signOnMode");
    const csrf = c.get("session").csrf;
    if (!isMethod(mode)) return c.html(<ChooseMethod csrf={csrf} error="Choose a sign-on method." />, 400);
    try {
      return await createIntegration(c, mode, form);
    } catch (error) {
      if (!(error instanceof ApiProblem) || error.status === 401) throw error;
      return c.html(<SettingsStep csrf={csrf} mode={mode} values={form} problem={error} />, 400);
    }
  });

function WizardPage({ csrf, children, step }: { csrf: string; step: 1 | 2; children?: Child }) {
  return (
    <Page title="Create App Integration" csrf={csrf}>
      <p class="muted">
        <a href="/admin/apps">Applications</a> ›
      </p>
      <h1>Create App Integration</h1>
      <p class="muted">Step {step} of 2</p>
      {children}
    </Page>
  );
}

function ChooseMethod({ csrf, error }: { csrf: string; error?: string }) {
  return (
    <WizardPage csrf={csrf} step={1}>
      {error && <Banner kind="error" title={error} />}
      <p>
        Looking for a known app? <a href="/admin/catalog">Browse App Catalog</a> first.
      </p>
      <form method="get" action="/admin/apps/new" aria-label="Sign-on method">
        <fieldset>
          <legend>Sign-on method</legend>
          {METHODS.map(({ mode, hint }, i) => (
            <label class="check">
              <input type="radio" name="signOnMode" value={mode} checked={i === 0} /> {signOnName(mode)} <span class="muted">{hint}</span>
            </label>
          ))}
        </fieldset>
        <p>
          <button type="submit" class="primary">
            Next
          </button>
        </p>
      </form>
    </WizardPage>
  );
}

function TextField(props: { name: string; label: string; values: FormValues; hint?: string; type?: string }) {
  const hintId = props.hint ? `${props.name}-hint` : undefined;
  return (
    <>
      <label for={props.name}>{props.label}</label>
      {props.hint && (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      )}
      <input
        type={props.type ?? "text"}
        id={props.name}
        name={props.name}
        value={field(props.values, props.name)}
        aria-describedby={hintId}
      />
    </>
  );
}

function SettingsStep(props: { csrf: string; mode: Method; values: FormValues; problem?: ApiProblem }) {
  const { mode, values, problem } = props;
  const scheme = field(values, "authScheme") || "TOKEN";
  return (
    <WizardPage csrf={props.csrf} step={2}>
      <h2>{signOnName(mode)} settings</h2>
      {problem && <Banner kind="error" title={`${problem.summary} (${problem.errorCode})`} causes={problem.causes} />}
      <ActionForm action="/admin/apps/new" csrf={props.csrf} label="App integration settings">
        <input type="hidden" name="signOnMode" value={mode} />
        <TextField name="label" label="App integration name" values={values} />
        {mode === "BOOKMARK" && <TextField name="url" label="URL" values={values} hint="The page the app's tile opens." />}
        {mode === "AUTO_LOGIN" && <TextField name="loginUrl" label="Login URL" values={values} hint="The app's own sign-in page." />}
        {mode === "SAML_2_0" && (
          <>
            <TextField name="ssoAcsUrl" label="Single sign-on URL" values={values} hint="The app's Assertion Consumer Service URL." />
            <TextField name="audience" label="Audience URI (SP Entity ID)" values={values} />
          </>
        )}
        {mode === "OPENID_CONNECT" && (
          <>
            <label for="applicationType">Application type</label>
            <select id="applicationType" name="applicationType">
              {[
                ["web", "Web Application"],
                ["browser", "Single-Page Application"],
                ["native", "Native Application"],
                ["service", "API Services (machine to machine)"],
              ].map(([value, text]) => (
                <option value={value} selected={field(values, "applicationType") === value}>
                  {text}
                </option>
              ))}
            </select>
            <label for="redirectUris">Sign-in redirect URIs (one per line)</label>
            <textarea id="redirectUris" name="redirectUris" rows={3} cols={60}>
              {field(values, "redirectUris")}
            </textarea>
            <TextField name="initiateLoginUri" label="Initiate login URI" values={values} hint="Where My Apps sends users to sign in." />
            <label for="publicJwk">Public key (JWK, API Services only)</label>
            <textarea id="publicJwk" name="publicJwk" rows={4} cols={60}>
              {field(values, "publicJwk")}
            </textarea>
          </>
        )}
        <fieldset>
          <legend>Provisioning (optional)</legend>
          <label class="check">
            <input type="checkbox" name="scim" checked={checked(values, "scim")} /> Enable SCIM provisioning
          </label>
          <TextField name="scimBaseUrl" label="SCIM connector base URL" values={values} type="url" />
          <p>Authentication mode</p>
          {(
            [
              ["TOKEN", "HTTP header (Bearer token)"],
              ["HEADER", "HTTP header (Authorization value as entered)"],
              ["BASIC", "Basic auth"],
            ] as const
          ).map(([value, text]) => (
            <label class="check">
              <input type="radio" name="authScheme" value={value} checked={scheme === value} /> {text}
            </label>
          ))}
          <label for="scimToken">Token / header value</label>
          <input type="password" id="scimToken" name="scimToken" autocomplete="off" />
          <label for="scimUsername">Username (Basic auth)</label>
          <input type="text" id="scimUsername" name="scimUsername" autocomplete="off" value={field(values, "scimUsername")} />
          <label for="scimPassword">Password (Basic auth)</label>
          <input type="password" id="scimPassword" name="scimPassword" autocomplete="off" />
          <p class="hint">Secrets are write-only and never shown again; re-enter them if this form comes back with an error.</p>
        </fieldset>
        <div class="toolbar">
          <a href="/admin/apps/new">Back</a>
          <button type="submit" class="primary">
            Create
          </button>
        </div>
      </ActionForm>
    </WizardPage>
  );
}
