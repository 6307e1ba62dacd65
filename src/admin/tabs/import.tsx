import { Hono } from "hono";
import { ApiProblem, unless } from "../api-client";
import { ActionForm, AppHeader, Banner, Page } from "../components";
import { act, checked, field, fields, formOf, seg, type AdminEnv } from "../context";
import { takeFlash } from "../session";
import type { ApiApp, ApiImportItem, ApiImportSession, ApiRoadblock } from "../wire-types";

const PLAN_RESULTS = [
  "EXACT",
  "PARTIAL",
  "NEW",
  "UNASSIGN",
  "CONFLICT",
  "UNCHANGED",
  "IGNORED",
  "UPDATED",
  "DEACTIVATED",
  "REACTIVATED",
] as const;
const PLAN_PAGE = 200;

export const importRoutes = new Hono<AdminEnv>()
  .get("/:appId/import", async (c) => {
    const appId = seg(c.req.param("appId"));
    const api = c.get("api");
    const result = PLAN_RESULTS.find((r) => r === c.req.query("result"));
    const [app, roadblock, sessions] = await Promise.all([
      api.get<ApiApp>(`/api/v1/apps/${appId}`),
      unless(404, api.get<ApiRoadblock>(`/api/v1/import-roadblock`)),
      api.get<ApiImportSession[]>(`/api/v1/apps/${appId}/imports?limit=10`),
    ]);
    const latest = sessions[0];
    const itemParams = new URLSearchParams({ limit: String(PLAN_PAGE) });
    if (result) itemParams.set("result", result);
    if (c.req.query("after")) itemParams.set("after", c.req.query("after")!);
    const plan =
      latest && latest.status !== "RUNNING"
        ? await api.page<ApiImportItem>(`/api/v1/apps/${appId}/imports/${seg(latest.id)}/items?${itemParams}`)
        : undefined;
    const csrf = c.get("session").csrf;
    const base = `/admin/apps/${seg(app.id)}/import`;
    return c.html(
      <Page title={`${app.label}: Import`} csrf={csrf} flash={takeFlash(c)}>
        <AppHeader app={app} active="import" />
        {roadblock && <RoadblockBanner roadblock={roadblock} appId={app.id} csrf={csrf} base={base} />}
        <ActionForm action={`${base}/start`} csrf={csrf} label="Import now">
          <div class="toolbar">
            <label for="import-type" class="sr-only">
              Import type
            </label>
            <select id="import-type" name="type">
              <option value="FULL">Full import</option>
              <option value="INCREMENTAL">Incremental import</option>
            </select>
            <label class="check">
              <input type="checkbox" name="dryRun" /> Dry run (plan only, change nothing)
            </label>
            <button type="submit" class="primary">
              Import Now
            </button>
          </div>
        </ActionForm>
        {latest ? (
          <>
            <h2>Latest import</h2>
            <div
              id="import-progress"
              data-poll-url={latest.status === "RUNNING" ? `${base}/progress?session=${encodeURIComponent(latest.id)}` : undefined}
            >
              <Progress session={latest} />
            </div>
            {latest.status === "PAUSED_SAFEGUARD" && !roadblock && <Banner kind="warn" title="This import is paused by a safeguard." />}
            {latest.status === "RUNNING" || latest.status === "AWAITING_CONFIRMATION" || latest.status === "PAUSED_SAFEGUARD" ? (
              <ActionForm action={`${base}/${encodeURIComponent(latest.id)}/cancel`} csrf={csrf} label="Cancel import">
                <button type="submit" class="danger">
                  Cancel this import
                </button>
              </ActionForm>
            ) : null}
            {plan && <Plan base={base} session={latest} items={plan.items} after={plan.after} result={result} csrf={csrf} />}
          </>
        ) : (
          <p>No import has run for this app yet.</p>
        )}
        {sessions.length > 1 && <History sessions={sessions.slice(1)} />}
      </Page>,
    );
  })
  .get("/:appId/import/progress", async (c) => {
    const appId = seg(c.req.param("appId"));
    const sessionId = c.req.query("session") ?? "";
    // Without an id the path would be the sessions list, not one session.
    if (!sessionId) throw new ApiProblem(404, "E0000007", "Not found: Resource not found: session (ImportSession)", []);
    const session = await c.get("api").get<ApiImportSession>(`/api/v1/apps/${appId}/imports/${seg(sessionId)}`);
    return c.html(
      <div data-state={session.status}>
        <Progress session={session} />
      </div>,
    );
  })
  .post("/:appId/import/start", async (c) => {
    const appId = seg(c.req.param("appId"));
    const form = await formOf(c);
    return act(c, `/admin/apps/${appId}/import`, async () => {
      const session = await c.get("api").send<ApiImportSession>("POST", `/api/v1/apps/${appId}/imports`, {
        type: field(form, "type") === "INCREMENTAL" ? "INCREMENTAL" : "FULL",
        dryRun: checked(form, "dryRun"),
      });
      return `Import ${session.id} started.`;
    });
  })
  .post("/:appId/import/:sessionId/confirm", async (c) => {
    const appId = seg(c.req.param("appId"));
    const sessionId = seg(c.req.param("sessionId"));
    const form = await formOf(c);
    return act(c, `/admin/apps/${appId}/import`, async () => {
      const all = field(form, "scope") === "all";
      const itemIds = fields(form, "item");
      if (!all && itemIds.length === 0) return { kind: "error", text: "Select at least one row to confirm, or use Confirm all." };
      await c.get("api").send("POST", `/api/v1/apps/${appId}/imports/${sessionId}/confirm`, {
        ...(all ? { all: true } : { itemIds }),
        activate: checked(form, "activate"),
      });
      return all ? "All pending rows confirmed." : `${itemIds.length} row${itemIds.length === 1 ? "" : "s"} confirmed.`;
    });
  })
  .post("/:appId/import/:sessionId/cancel", async (c) => {
    const appId = seg(c.req.param("appId"));
    return act(c, `/admin/apps/${appId}/import`, async () => {
      await c.get("api").send("POST", `/api/v1/apps/${appId}/imports/${seg(c.req.param("sessionId"))}/cancel`);
      return "Import cancelled. Nothing it had not applied was changed.";
    });
  })
  .post("/:appId/import-roadblock/:decision", async (c) => {
    const appId = seg(c.req.param("appId"));
    const decision = c.req.param("decision");
    if (decision !== "resume" && decision !== "cancel")
      throw new ApiProblem(404, "E0000007", `Not found: Resource not found: ${decision} (URL)`, []);
    return act(c, `/admin/apps/${appId}/import`, async () => {
      await c.get("api").send("POST", `/api/v1/import-roadblock/${decision}`);
      return decision === "resume"
        ? "Safeguard overridden: the import is applying its changes."
        : "The paused import was cancelled; nothing was changed.";
    });
  });

function RoadblockBanner({ roadblock, appId, csrf, base }: { roadblock: ApiRoadblock; appId: string; csrf: string; base: string }) {
  const here = roadblock.appId === appId;
  return (
    <Banner kind="warn" title="Imports are paused: an import safeguard was triggered.">
      <p>
        {here ? "This app's" : "Another app's"} import would unassign <strong>{roadblock.removals}</strong> users, over the{" "}
        {roadblock.level === "APP" ? "app-level" : "org-level"} limit of {roadblock.limit} ({roadblock.percent}%). Nothing has been changed.
        Every import in the org waits until this is resolved.
      </p>
      {here ? (
        <div class="toolbar">
          <ActionForm action={`${base}-roadblock/resume`} csrf={csrf} inline label="Resume import">
            <button type="submit" class="primary">
              Resume import
            </button>
          </ActionForm>
          <ActionForm action={`${base}-roadblock/cancel`} csrf={csrf} inline label="Cancel paused import">
            <button type="submit" class="danger">
              Cancel import
            </button>
          </ActionForm>
        </div>
      ) : (
        <p>
          <a href={`/admin/apps/${encodeURIComponent(roadblock.appId)}/import`}>Review it on that app's Import tab</a>
        </p>
      )}
    </Banner>
  );
}

const COUNTS: [string, string][] = [
  ["fetched", "Fetched"],
  ["exact", "Exact matches"],
  ["partial", "Partial matches"],
  ["new", "New users"],
  ["toUnassign", "To unassign"],
  ["conflicts", "Conflicts"],
  ["unchanged", "Unchanged"],
  ["pending", "Awaiting confirmation"],
  ["applied", "Applied"],
  ["errors", "Errors"],
];

function Progress({ session }: { session: ApiImportSession }) {
  const { progress } = session;
  return (
    <>
      {/* Only this line is announced as it changes; the counts below update silently. */}
      <p aria-live="polite">
        <strong>{session.type === "FULL" ? "Full" : "Incremental"} import</strong> {session.dryRun ? "(dry run) " : ""}· started{" "}
        {new Date(session.created).toUTCString()} · status <span class="status">{session.status}</span>
        {session.status === "RUNNING" && <> · phase {session.phase}</>}
      </p>
      {session.status === "RUNNING" && progress.total !== null && progress.done !== null && (
        <p>
          <progress max={progress.total} value={progress.done} aria-label="Import progress"></progress> {progress.done} of {progress.total}
          {progress.etaSeconds ? ` · about ${progress.etaSeconds}s left` : ""}
        </p>
      )}
      {session.error && <Banner kind="error" title={session.error} />}
      <dl class="counts">
        {COUNTS.map(([key, label]) => (
          <div>
            <dt>{label}</dt>
            <dd data-count={key}>{session.counters[key] ?? 0}</dd>
          </div>
        ))}
      </dl>
    </>
  );
}

function Plan(props: {
  base: string;
  session: ApiImportSession;
  items: ApiImportItem[];
  after: string | null;
  result?: string;
  csrf: string;
}) {
  const { base, session, items, csrf } = props;
  const confirmable = session.status === "AWAITING_CONFIRMATION";
  return (
    <section aria-labelledby="plan-heading">
      <h2 id="plan-heading">Plan</h2>
      <nav aria-label="Filter plan rows" class="toolbar">
        <span>Show:</span>
        <a href={base} aria-current={props.result ? undefined : "page"}>
          All
        </a>
        {PLAN_RESULTS.slice(0, 5).map((r) => (
          <a href={`${base}?result=${r}`} aria-current={props.result === r ? "page" : undefined}>
            {r[0] + r.slice(1).toLowerCase()}
          </a>
        ))}
      </nav>
      {items.length === 0 ? (
        <p>No rows.</p>
      ) : (
        <form method="post" action={`${base}/${encodeURIComponent(session.id)}/confirm`}>
          <input type="hidden" name="_csrf" value={csrf} />
          <table>
            <caption class="sr-only">Import plan</caption>
            <thead>
              <tr>
                <th scope="col">
                  {confirmable && (
                    <label class="check">
                      <input type="checkbox" data-select-all="item" /> <span class="sr-only">Select all</span>
                    </label>
                  )}
                </th>
                <th scope="col">App user</th>
                <th scope="col">Result</th>
                <th scope="col">Okta user</th>
                <th scope="col">Decision</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr>
                  <td>
                    {confirmable && item.decision === "PENDING" && (
                      <input type="checkbox" name="item" value={item.id} aria-label={`Select ${item.userName}`} />
                    )}
                  </td>
                  <td>
                    {item.userName}
                    <div class="muted">{item.externalId}</div>
                  </td>
                  <td>{item.result ?? "—"}</td>
                  <td>{item.matchedUserId ? <code>{item.matchedUserId}</code> : <span class="muted">none</span>}</td>
                  <td>{item.decision}</td>
                  <td>{item.detail ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {props.after && (
            <p>
              <a href={`${base}?${new URLSearchParams({ ...(props.result ? { result: props.result } : {}), after: props.after })}`}>
                Next rows
              </a>
            </p>
          )}
          {confirmable && (
            <div class="toolbar">
              <label class="check">
                <input type="checkbox" name="activate" /> Activate new users
              </label>
              <button type="submit" name="scope" value="selected" class="primary">
                Confirm selected
              </button>
              <button type="submit" name="scope" value="all" aria-describedby="confirm-all-hint">
                Confirm all
              </button>
              <span class="hint" id="confirm-all-hint">
                Confirm all takes every pending row of this import, whatever the filter shows.
              </span>
            </div>
          )}
        </form>
      )}
    </section>
  );
}

function History({ sessions }: { sessions: ApiImportSession[] }) {
  return (
    <section aria-labelledby="history-heading">
      <h2 id="history-heading">Earlier imports</h2>
      <table>
        <caption class="sr-only">Earlier imports</caption>
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Type</th>
            <th scope="col">Trigger</th>
            <th scope="col">Status</th>
            <th scope="col">Applied</th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((session) => (
            <tr>
              <td>{new Date(session.created).toUTCString()}</td>
              <td>
                {session.type}
                {session.dryRun ? " (dry run)" : ""}
              </td>
              <td>{session.trigger}</td>
              <td>{session.status}</td>
              <td>{session.counters.applied ?? 0}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
