import { Hono } from "hono";
import { ApiProblem, unless } from "../api-client";
import { ActionForm, AppHeader, Banner, Page } from "../components";
import { act, checked, field, formOf, seg, type AdminContext, type AdminEnv } from "../context";
import { takeFlash } from "../session";
import type {
  ApiApp,
  ApiBreaker,
  ApiConnection,
  ApiHold,
  ApiInbound,
  ApiIntegration,
  ApiSafeguards,
  ApiTask,
  ApiUserProvisioning,
} from "../wire-types";
import { SEPARATE_INSTANCE_REASON } from "./app-instance";

const onOff = (on: boolean) => ({ status: on ? "ENABLED" : "DISABLED" });

const back = (c: AdminContext) => `/admin/apps/${seg(c.req.param("appId") ?? "")}/provisioning`;

export const provisioningTabRoutes = new Hono<AdminEnv>()
  .get("/:appId/provisioning", async (c) => {
    const appId = seg(c.req.param("appId"));
    const api = c.get("api");
    const [app, integration, connection, toApp, toOkta, safeguards, failed, breaker, holds] = await Promise.all([
      api.get<ApiApp>(`/api/v1/apps/${appId}`),
      api.get<ApiIntegration>(`/api/v1/apps/${appId}/integration`),
      unless(400, api.get<ApiConnection>(`/api/v1/apps/${appId}/connections/default`)),
      unless(400, api.get<ApiUserProvisioning>(`/api/v1/apps/${appId}/features/USER_PROVISIONING`)),
      unless(400, api.get<ApiInbound>(`/api/v1/apps/${appId}/features/INBOUND_PROVISIONING`)),
      api.get<ApiSafeguards>(`/api/v1/import-safeguards`),
      api.get<ApiTask[]>(`/api/v1/apps/${appId}/provisioning/tasks?status=FAILED`),
      api.get<ApiBreaker>(`/api/v1/apps/${appId}/provisioning/circuit-breaker`),
      api.get<ApiHold[]>(`/api/v1/apps/${appId}/provisioning/deactivation-holds`),
    ]);
    const csrf = c.get("session").csrf;
    const base = `/admin/apps/${seg(app.id)}/provisioning`;
    return c.html(
      <Page title={`${app.label}: Provisioning`} csrf={csrf} flash={takeFlash(c)}>
        <AppHeader app={app} active="provisioning" />
        {holds.map((hold) => (
          <Banner kind="warn" title={`${hold.deactivations} downstream deactivations are held for review.`}>
            <p>
              One change ({hold.reason}) would deactivate more accounts in the app than the threshold allows. The assignments are already
              removed in Okta; the accounts in the app stay active until you decide.
            </p>
            <div class="toolbar">
              <ActionForm action={`${base}/holds/${encodeURIComponent(hold.id)}/release`} csrf={csrf} inline>
                <button type="submit" class="danger">
                  Deactivate {hold.deactivations} accounts
                </button>
              </ActionForm>
              <ActionForm action={`${base}/holds/${encodeURIComponent(hold.id)}/discard`} csrf={csrf} inline>
                <button type="submit">Keep them active</button>
              </ActionForm>
            </div>
          </Banner>
        ))}
        {breaker.state !== "CLOSED" && (
          <Banner
            kind="warn"
            title={`Provisioning is paused: ${breaker.failures} of the last ${breaker.operations} calls to the app failed.`}
          >
            <p>
              Queued changes wait without using up their retries.{" "}
              {breaker.nextProbeAt ? `One is tried again at ${new Date(breaker.nextProbeAt).toUTCString()}.` : ""}
            </p>
            <ActionForm action={`${base}/breaker-reset`} csrf={csrf}>
              <button type="submit">Resume now</button>
            </ActionForm>
          </Banner>
        )}
        {!connection && <IntegrationNote integration={integration} />}
        <ConnectionForm base={base} csrf={csrf} connection={connection} integration={integration} />
        {toApp && <ToAppForm base={base} csrf={csrf} feature={toApp} offered={integration.offered} />}
        {toOkta &&
          (integration.offered.toOkta ? (
            <ToOktaForm base={base} csrf={csrf} feature={toOkta} />
          ) : (
            <section aria-labelledby="to-okta-heading">
              <h2 id="to-okta-heading">To Okta</h2>
              <p>This app integration does not support imports.</p>
            </section>
          ))}
        <SafeguardsForm base={base} csrf={csrf} safeguards={safeguards} />
        <FailedTasks base={base} csrf={csrf} tasks={failed} />
        <section aria-labelledby="separate-instance-heading">
          <h2 id="separate-instance-heading">Separate instance for provisioning</h2>
          <p>{SEPARATE_INSTANCE_REASON}</p>
          <a class="button" href={`/admin/apps/${seg(app.id)}/clone`}>
            Create a separate instance
          </a>
        </section>
      </Page>,
    );
  })
  .post("/:appId/provisioning/connection", async (c) => {
    const form = await formOf(c);
    const appId = seg(c.req.param("appId"));
    return act(c, back(c), async () => {
      const scheme = (["BASIC", "HEADER"] as const).find((s) => s === field(form, "authScheme")) ?? "TOKEN";
      const token = field(form, "token");
      const password = field(form, "password");
      const profile =
        scheme === "BASIC"
          ? { authScheme: "BASIC", username: field(form, "username"), ...(password ? { password } : {}) }
          : { authScheme: scheme, ...(token ? { token } : {}) };
      const rate = field(form, "requestsPerSecond");
      await c.get("api").send("POST", `/api/v1/apps/${appId}/connections/default?activate=${checked(form, "enabled")}`, {
        baseUrl: field(form, "baseUrl"),
        profile,
        ...(rate ? { pacing: { requestsPerSecond: Number(rate) } } : {}),
      });
      return "Connection saved.";
    });
  })
  .post("/:appId/provisioning/test", async (c) => {
    const appId = seg(c.req.param("appId"));
    return act(c, back(c), async () => {
      const result = await c
        .get("api")
        .send<{ status: string; checks: { name: string; status: string; detail: string }[]; errorSummary: string | null }>(
          "POST",
          `/api/v1/apps/${appId}/connections/default/test`,
        );
      const causes = result.checks.map((check) => `${check.name}: ${check.status === "SUCCESS" ? "✓" : "✖"} ${check.detail}`);
      return result.status === "SUCCESS"
        ? { kind: "ok", text: "API credentials verified.", causes }
        : { kind: "error", text: `API credentials test failed: ${result.errorSummary ?? "unknown error"}`, causes };
    });
  })
  .post("/:appId/provisioning/to-app", async (c) => {
    const form = await formOf(c);
    const appId = seg(c.req.param("appId"));
    return act(c, back(c), async () => {
      await c.get("api").send("PUT", `/api/v1/apps/${appId}/features/USER_PROVISIONING`, {
        create: { lifecycleCreate: onOff(checked(form, "create")) },
        update: {
          profile: onOff(checked(form, "profile")),
          lifecycleDeactivate: onOff(checked(form, "deactivate")),
          password: {
            ...onOff(checked(form, "password")),
            seed: field(form, "passwordSeed") === "OKTA" ? "OKTA" : "RANDOM",
            change: checked(form, "passwordChange") ? "CHANGE" : "KEEP_EXISTING",
          },
          excludeUsernameUpdates: onOff(checked(form, "excludeUsernameUpdates")),
        },
      });
      return "To App settings saved.";
    });
  })
  .post("/:appId/provisioning/to-okta", async (c) => {
    const form = await formOf(c);
    const appId = seg(c.req.param("appId"));
    return act(c, back(c), async () => {
      const timezone = field(form, "timezone") || "UTC";
      const full = field(form, "fullImport").trim();
      const incremental = field(form, "incrementalImport").trim();
      const expression = field(form, "userNameExpression").trim();
      await c.get("api").send("PUT", `/api/v1/apps/${appId}/features/INBOUND_PROVISIONING`, {
        importSettings: {
          username: {
            usernameFormat: field(form, "usernameFormat") === "CUSTOM" ? "CUSTOM" : "EMAIL",
            userNameExpression: expression,
          },
          schedule: {
            status: checked(form, "scheduleEnabled") ? "ENABLED" : "DISABLED",
            // An emptied field removes that schedule.
            fullImport: full ? { expression: full, timezone } : null,
            incrementalImport: incremental ? { expression: incremental, timezone } : null,
          },
        },
        importRules: {
          userCreateAndMatch: {
            exactMatchCriteria: field(form, "exactMatchCriteria") === "EMAIL" ? "EMAIL" : "USERNAME",
            allowPartialMatch: checked(form, "allowPartialMatch"),
            autoConfirmPartialMatch: checked(form, "autoConfirmPartialMatch"),
            autoConfirmExactMatch: checked(form, "autoConfirmExactMatch"),
            autoConfirmNewUsers: checked(form, "autoConfirmNewUsers"),
            autoActivateNewUsers: checked(form, "autoActivateNewUsers"),
          },
        },
        profileSourcing: {
          status: checked(form, "profileSourcing") ? "ENABLED" : "DISABLED",
          onDeactivated: (["DEACTIVATE", "SUSPEND"] as const).find((v) => v === field(form, "onDeactivated")) ?? "DO_NOTHING",
          reactivateSuspended: checked(form, "reactivateSuspended"),
          reactivateDeactivated: checked(form, "reactivateDeactivated"),
        },
      });
      return "To Okta settings saved.";
    });
  })
  .post("/:appId/provisioning/safeguards", async (c) => {
    const form = await formOf(c);
    return act(c, back(c), async () => {
      await c.get("api").send("PUT", `/api/v1/import-safeguards`, {
        app: { enabled: checked(form, "appEnabled"), percent: Number(field(form, "appPercent")) },
        org: { enabled: checked(form, "orgEnabled"), percent: Number(field(form, "orgPercent")) },
      });
      return "Import safeguards saved (they apply to every app in the org).";
    });
  })
  .post("/:appId/provisioning/holds/:holdId/:decision", async (c) => {
    const appId = seg(c.req.param("appId"));
    const decision = c.req.param("decision");
    if (decision !== "release" && decision !== "discard") throw new ApiProblem(404, "E0000007", "Not found: Resource not found: (URL)", []);
    return act(c, back(c), async () => {
      const hold = await c
        .get("api")
        .send<ApiHold>("POST", `/api/v1/apps/${appId}/provisioning/deactivation-holds/${seg(c.req.param("holdId"))}/${decision}`);
      return decision === "release"
        ? `Deactivating ${hold.deactivations} accounts in the app.`
        : `The ${hold.deactivations} accounts stay active in the app.`;
    });
  })
  .post("/:appId/provisioning/breaker-reset", async (c) => {
    const appId = seg(c.req.param("appId"));
    return act(c, back(c), async () => {
      await c.get("api").send("POST", `/api/v1/apps/${appId}/provisioning/circuit-breaker/reset`);
      return "Provisioning resumed.";
    });
  })
  .post("/:appId/provisioning/tasks/:taskId/retry", async (c) => {
    const appId = seg(c.req.param("appId"));
    return act(c, back(c), async () => {
      await c.get("api").send("POST", `/api/v1/apps/${appId}/provisioning/tasks/${seg(c.req.param("taskId"))}/retry`);
      return "Task queued again.";
    });
  });

function Check({ name, label, on, hint, disabled }: { name: string; label: string; on: boolean; hint?: string; disabled?: boolean }) {
  return (
    <>
      <label class="check">
        <input type="checkbox" name={name} checked={on} disabled={disabled} aria-describedby={hint ? `${name}-hint` : undefined} /> {label}
        {disabled && <span class="muted"> (not supported by this app integration)</span>}
      </label>
      {hint && (
        <p class="hint" id={`${name}-hint`}>
          {hint}
        </p>
      )}
    </>
  );
}

/** What an app made from a template or another app brings to its first connection. */
function IntegrationNote({ integration }: { integration: ApiIntegration }) {
  const origin = integration.clonedFrom
    ? "a separate instance of another app"
    : integration.catalog
      ? `an instance of ${integration.catalog.displayName} from the App Catalog (version ${integration.catalog.version})`
      : undefined;
  if (!origin) return null;
  return (
    <Banner kind="warn" title={`This app is ${origin}.`}>
      <p>
        {integration.provisioningDraft
          ? "Its provisioning options are applied when you save its connection below. Credentials are never copied: enter them, save, and Test API Credentials."
          : "Enter its SCIM connection below, save it, and Test API Credentials."}
      </p>
    </Banner>
  );
}

const SCHEMES = [
  ["TOKEN", "HTTP header (Bearer token)"],
  ["HEADER", "HTTP header (Authorization value sent as entered)"],
  ["BASIC", "Basic auth"],
] as const;

function ConnectionForm(props: { base: string; csrf: string; connection: ApiConnection | undefined; integration: ApiIntegration }) {
  const { base, csrf, connection, integration } = props;
  const offered = integration.offered.authSchemes;
  const scheme = connection?.authScheme ?? integration.provisioningDraft?.authScheme ?? offered[0];
  const baseUrl = connection?.baseUrl ?? integration.provisioningDraft?.baseUrl ?? "";
  return (
    <section aria-labelledby="connection-heading">
      <h2 id="connection-heading">Connection (SCIM 2.0)</h2>
      {!connection && <p>Provisioning is not set up for this app. Save a connection to turn it on.</p>}
      <ActionForm action={`${base}/connection`} csrf={csrf} label="Connection">
        <label for="baseUrl">SCIM connector base URL</label>
        <input type="url" id="baseUrl" name="baseUrl" value={baseUrl} required size={60} />
        <fieldset>
          <legend>Authentication mode</legend>
          {SCHEMES.filter(([value]) => offered.includes(value)).map(([value, text]) => (
            <label class="check">
              <input type="radio" name="authScheme" value={value} checked={scheme === value} /> {text}
            </label>
          ))}
          {(offered.includes("TOKEN") || offered.includes("HEADER")) && (
            <>
              <label for="token">Token</label>
              <input type="password" id="token" name="token" autocomplete="off" aria-describedby="secret-hint" />
            </>
          )}
          {offered.includes("BASIC") && (
            <>
              <label for="username">Username</label>
              <input type="text" id="username" name="username" value={connection?.profile.username ?? ""} autocomplete="off" />
              <label for="password">Password</label>
              <input type="password" id="password" name="password" autocomplete="off" aria-describedby="secret-hint" />
            </>
          )}
          <p class="hint" id="secret-hint">
            Secrets are write-only: {connection ? "leave blank to keep the saved one." : "they are never shown again."}
          </p>
        </fieldset>
        <label for="requestsPerSecond">Requests per second to the app (0 = unpaced)</label>
        <input
          type="number"
          id="requestsPerSecond"
          name="requestsPerSecond"
          min={0}
          max={10000}
          value={String(connection?.pacing.requestsPerSecond ?? 25)}
        />
        <Check name="enabled" label="Enable provisioning" on={connection ? connection.status === "ENABLED" : true} />
        <div class="toolbar">
          <button type="submit" class="primary">
            Save connection
          </button>
        </div>
      </ActionForm>
      {connection && (
        <ActionForm action={`${base}/test`} csrf={csrf} label="Test API Credentials">
          <p class="hint">Checks the saved connection: reads the app's ServiceProviderConfig and one user.</p>
          <button type="submit">Test API Credentials</button>
        </ActionForm>
      )}
      {connection && (
        <p>
          Status: <span class="status">{connection.status}</span>
        </p>
      )}
    </section>
  );
}

function ToAppForm(props: { base: string; csrf: string; feature: ApiUserProvisioning; offered: ApiIntegration["offered"] }) {
  const { base, csrf, feature, offered } = props;
  const caps = feature.capabilities;
  const on = (toggle: { status: string }) => toggle.status === "ENABLED";
  return (
    <section aria-labelledby="to-app-heading">
      <h2 id="to-app-heading">To App</h2>
      <ActionForm action={`${base}/to-app`} csrf={csrf} label="To App settings">
        <Check
          name="create"
          label="Create Users"
          on={on(caps.create.lifecycleCreate)}
          disabled={!offered.toApp.create}
          hint="Creates (or links by username) an account when a user is assigned."
        />
        <Check name="profile" label="Update User Attributes" on={on(caps.update.profile)} disabled={!offered.toApp.profile} />
        <Check
          name="deactivate"
          label="Deactivate Users"
          on={on(caps.update.lifecycleDeactivate)}
          disabled={!offered.toApp.deactivate}
          hint="Sends active: false on unassignment; reassignment reactivates."
        />
        <Check name="password" label="Sync Password" on={on(caps.update.password)} disabled={!offered.toApp.password} />
        <label for="passwordSeed">Password to send</label>
        <select id="passwordSeed" name="passwordSeed">
          <option value="RANDOM" selected={caps.update.password.seed === "RANDOM"}>
            A random password
          </option>
          <option value="OKTA" selected={caps.update.password.seed === "OKTA"}>
            The user's Okta password
          </option>
        </select>
        <Check
          name="passwordChange"
          label="Push password changes"
          on={caps.update.password.change === "CHANGE"}
          disabled={!offered.toApp.password}
          hint="With the Okta password, users assigned after setting theirs get it at their next My Apps sign-in (Okta keeps only a hash until then)."
        />
        <Check name="excludeUsernameUpdates" label="Exclude username updates" on={on(caps.update.excludeUsernameUpdates)} />
        <p>
          <button type="submit" class="primary">
            Save To App
          </button>
        </p>
      </ActionForm>
    </section>
  );
}

function ToOktaForm({ base, csrf, feature }: { base: string; csrf: string; feature: ApiInbound }) {
  const { importSettings, importRules, profileSourcing } = feature.capabilities;
  const rules = importRules.userCreateAndMatch;
  return (
    <section aria-labelledby="to-okta-heading">
      <h2 id="to-okta-heading">To Okta</h2>
      <ActionForm action={`${base}/to-okta`} csrf={csrf} label="To Okta settings">
        <fieldset>
          <legend>Schedule</legend>
          <Check name="scheduleEnabled" label="Run imports on a schedule" on={importSettings.schedule.status === "ENABLED"} />
          <label for="fullImport">Full import (cron)</label>
          <input
            type="text"
            id="fullImport"
            name="fullImport"
            value={importSettings.schedule.fullImport?.expression ?? ""}
            placeholder="0 2 * * *"
          />
          <label for="incrementalImport">Incremental import (cron)</label>
          <input
            type="text"
            id="incrementalImport"
            name="incrementalImport"
            value={importSettings.schedule.incrementalImport?.expression ?? ""}
            placeholder="0 * * * *"
          />
          <label for="timezone">Time zone</label>
          <input
            type="text"
            id="timezone"
            name="timezone"
            value={importSettings.schedule.fullImport?.timezone ?? importSettings.schedule.incrementalImport?.timezone ?? "UTC"}
          />
        </fieldset>
        <fieldset>
          <legend>Okta username format</legend>
          <select id="usernameFormat" name="usernameFormat" aria-label="Okta username format">
            <option value="EMAIL" selected={importSettings.username.usernameFormat === "EMAIL"}>
              Email address
            </option>
            <option value="CUSTOM" selected={importSettings.username.usernameFormat === "CUSTOM"}>
              Custom expression
            </option>
          </select>
          <label for="userNameExpression">Custom expression</label>
          <input
            type="text"
            id="userNameExpression"
            name="userNameExpression"
            value={importSettings.username.userNameExpression ?? ""}
            placeholder="appuser.userName"
          />
        </fieldset>
        <fieldset>
          <legend>Matching and confirmation</legend>
          <label for="exactMatchCriteria">Imported user is an exact match when</label>
          <select id="exactMatchCriteria" name="exactMatchCriteria">
            <option value="USERNAME" selected={rules.exactMatchCriteria === "USERNAME"}>
              Okta username format matches
            </option>
            <option value="EMAIL" selected={rules.exactMatchCriteria === "EMAIL"}>
              Email matches
            </option>
          </select>
          <Check name="allowPartialMatch" label="Allow partial matches (first and last name)" on={rules.allowPartialMatch} />
          <Check name="autoConfirmExactMatch" label="Auto-confirm exact matches" on={rules.autoConfirmExactMatch} />
          <Check name="autoConfirmPartialMatch" label="Auto-confirm partial matches" on={rules.autoConfirmPartialMatch} />
          <Check name="autoConfirmNewUsers" label="Auto-confirm new users" on={rules.autoConfirmNewUsers} />
          <Check name="autoActivateNewUsers" label="Auto-activate new users" on={rules.autoActivateNewUsers} />
        </fieldset>
        <fieldset>
          <legend>Profile sourcing</legend>
          <Check name="profileSourcing" label="Allow this app to source Okta users" on={profileSourcing.status === "ENABLED"} />
          <label for="onDeactivated">When a user is deactivated in the app</label>
          <select id="onDeactivated" name="onDeactivated">
            {(["DO_NOTHING", "DEACTIVATE", "SUSPEND"] as const).map((v) => (
              <option value={v} selected={profileSourcing.onDeactivated === v}>
                {v === "DO_NOTHING" ? "Do nothing" : v === "DEACTIVATE" ? "Deactivate the Okta user" : "Suspend the Okta user"}
              </option>
            ))}
          </select>
          <Check
            name="reactivateSuspended"
            label="Reactivate suspended Okta users when reactivated in the app"
            on={profileSourcing.reactivateSuspended}
          />
          <Check
            name="reactivateDeactivated"
            label="Reactivate deactivated Okta users when reactivated in the app"
            on={profileSourcing.reactivateDeactivated}
          />
        </fieldset>
        <p>
          <button type="submit" class="primary">
            Save To Okta
          </button>
        </p>
      </ActionForm>
    </section>
  );
}

function SafeguardsForm({ base, csrf, safeguards }: { base: string; csrf: string; safeguards: ApiSafeguards }) {
  return (
    <section aria-labelledby="safeguards-heading">
      <h2 id="safeguards-heading">Import safeguards</h2>
      <p class="hint">
        An import that would unassign more than this share of app users pauses for review instead of changing anything. Org-wide settings.
      </p>
      <ActionForm action={`${base}/safeguards`} csrf={csrf} label="Import safeguards">
        <Check name="appEnabled" label="App-level safeguard (apps with more than 100 users)" on={safeguards.app.enabled} />
        <label for="appPercent">App-level limit (%)</label>
        <input type="number" id="appPercent" name="appPercent" min={1} max={100} value={String(safeguards.app.percent)} />
        <Check name="orgEnabled" label="Org-level safeguard (orgs with at least 100 assignments)" on={safeguards.org.enabled} />
        <label for="orgPercent">Org-level limit (%)</label>
        <input type="number" id="orgPercent" name="orgPercent" min={1} max={100} value={String(safeguards.org.percent)} />
        <p>
          <button type="submit" class="primary">
            Save safeguards
          </button>
        </p>
      </ActionForm>
    </section>
  );
}

function FailedTasks({ base, csrf, tasks }: { base: string; csrf: string; tasks: ApiTask[] }) {
  return (
    <section aria-labelledby="tasks-heading">
      <h2 id="tasks-heading">Failed provisioning tasks</h2>
      {tasks.length === 0 ? (
        <p>None.</p>
      ) : (
        <table>
          <caption class="sr-only">Failed provisioning tasks</caption>
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Subject</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {tasks.map((task) => (
              <tr>
                <td>{task.type}</td>
                <td>
                  <code>{task.userId ?? task.mappingId ?? task.id}</code>
                </td>
                <td>{task.attempts}</td>
                <td>
                  ✖ {task.lastError ?? ""} {task.lastStatus ? `(HTTP ${task.lastStatus})` : ""}
                </td>
                <td>
                  <ActionForm action={`${base}/tasks/${encodeURIComponent(task.id)}/retry`} csrf={csrf} inline>
                    <button type="submit" aria-label={`Retry task ${task.id}`}>
                      Retry
                    </button>
                  </ActionForm>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
