import { Hono } from "hono";
import { ApiProblem } from "../api-client";
import { ActionForm, Banner, Page } from "../components";
import { field, formOf, seg, type AdminContext, type AdminEnv, type FormValues } from "../context";
import { setFlash, takeFlash } from "../session";
import type { ApiApp, ApiCatalogEntry } from "../wire-types";

const PAGE_SIZE = 20;

/** One template, read through the API's search (its key is one of the words it matches). */
async function entryNamed(c: AdminContext, name: string): Promise<ApiCatalogEntry> {
  const found = await c.get("api").get<ApiCatalogEntry[]>(`/api/v1/catalog/apps?${new URLSearchParams({ q: name, limit: "200" })}`);
  const entry = found.find((candidate) => candidate.name === name);
  if (!entry) throw new ApiProblem(404, "E0000007", `Not found: Resource not found: ${name} (CatalogApp)`, []);
  return entry;
}

const SIGN_ON_NAMES: Record<string, string> = {
  SAML_2_0: "SAML 2.0",
  AUTO_LOGIN: "SWA (Secure Web Authentication)",
  BROWSER_PLUGIN: "SWA (browser plugin)",
  BOOKMARK: "Bookmark",
  OPENID_CONNECT: "OIDC - OpenID Connect",
};
export const signOnName = (mode: string) => SIGN_ON_NAMES[mode] ?? mode;

function provisioningSummary(entry: ApiCatalogEntry): string {
  const p = entry.provisioning;
  if (!p) return "No provisioning";
  const toApp = [
    p.toApp.create && "create",
    p.toApp.profile && "update",
    p.toApp.deactivate && "deactivate",
    p.toApp.password && "password",
  ]
    .filter(Boolean)
    .join(", ");
  return `SCIM: ${toApp}${p.toOkta ? "; imports" : ""}${p.groupPush ? "; Group Push" : ""}`;
}

/** Browse App Catalog: search the integration catalog and add an instance of a template. */
export const catalogRoutes = new Hono<AdminEnv>()
  .get("/", async (c) => {
    const q = (c.req.query("q") ?? "").slice(0, 100);
    const after = c.req.query("after");
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (q) params.set("q", q);
    if (after) params.set("after", after);
    const page = await c.get("api").page<ApiCatalogEntry>(`/api/v1/catalog/apps?${params}`);
    const next = page.after ? `/admin/catalog?${new URLSearchParams({ ...(q ? { q } : {}), after: page.after })}` : null;
    return c.html(
      <Page title="Browse App Catalog" csrf={c.get("session").csrf} flash={takeFlash(c)}>
        <p class="muted">
          <a href="/admin/apps">Applications</a> ›
        </p>
        <h1>Browse App Catalog</h1>
        <p>Check whether the app you want to add is already an integration here; if not, create a private one with the wizard.</p>
        <form method="get" action="/admin/catalog" role="search" class="toolbar">
          <label for="catalog-search" class="sr-only">
            Search the catalog
          </label>
          <input type="search" id="catalog-search" name="q" value={q} placeholder="Search by name or category" />
          <button type="submit">Search</button>
          {q && <a href="/admin/catalog">Clear</a>}
          <a class="button" href="/admin/apps/new">
            Create App Integration
          </a>
        </form>
        {page.items.length === 0 ? (
          <p>
            No integration matches “{q}”. <a href="/admin/apps/new">Create App Integration</a> makes a private one (SCIM included).
          </p>
        ) : (
          <ul class="catalog" aria-label="Catalog integrations">
            {page.items.map((entry) => (
              <li class="catalog-entry">
                <img src={new URL(entry._links.logo[0].href).pathname} alt="" width={48} height={48} />
                <div>
                  <h2>{entry.displayName}</h2>
                  <p>{entry.description}</p>
                  <p class="muted">
                    {entry.categories.join(", ")} · {entry.signOnModes.map(signOnName).join(", ")} · {provisioningSummary(entry)}
                  </p>
                </div>
                <a class="button primary" href={`/admin/catalog/${seg(entry.name)}/add`} aria-label={`Add ${entry.displayName}`}>
                  Add
                </a>
              </li>
            ))}
          </ul>
        )}
        {next && (
          <p>
            <a href={next}>Next page</a>
          </p>
        )}
      </Page>,
    );
  })
  .get("/:name/add", async (c) => {
    const entry = await entryNamed(c, c.req.param("name"));
    return c.html(<AddForm entry={entry} csrf={c.get("session").csrf} values={{ label: entry.displayName }} />);
  })
  .post("/:name/add", async (c) => {
    const entry = await entryNamed(c, c.req.param("name"));
    const form = await formOf(c);
    const settings = Object.fromEntries(
      Object.keys(entry.settings)
        .map((key) => [key, field(form, `setting.${key}`).trim()])
        .filter(([, value]) => value !== ""),
    );
    try {
      const app = await c.get("api").send<ApiApp>("POST", "/api/v1/apps", {
        name: entry.name,
        label: field(form, "label").trim(),
        signOnMode: field(form, "signOnMode") || entry.signOnModes[0],
        settings: { app: settings },
      });
      setFlash(c, {
        kind: "ok",
        text: entry.provisioning
          ? `Added ${app.label} from the catalog. Enter its SCIM connection to provision users.`
          : `Added ${app.label} from the catalog.`,
      });
      return c.redirect(`/admin/apps/${seg(app.id)}/${entry.provisioning ? "provisioning" : "assignments"}`, 303);
    } catch (error) {
      if (!(error instanceof ApiProblem) || error.status === 401) throw error;
      // The API's own validation, shown on the form with what was entered.
      return c.html(<AddForm entry={entry} csrf={c.get("session").csrf} values={form} problem={error} />, 400);
    }
  });

function AddForm(props: { entry: ApiCatalogEntry; csrf: string; values: FormValues; problem?: ApiProblem }) {
  const { entry, values, problem } = props;
  const value = (name: string) => field(values, name);
  return (
    <Page title={`Add ${entry.displayName}`} csrf={props.csrf}>
      <p class="muted">
        <a href="/admin/apps">Applications</a> › <a href="/admin/catalog">Browse App Catalog</a> ›
      </p>
      <h1>Add {entry.displayName}</h1>
      {problem && <Banner kind="error" title={`${problem.summary} (${problem.errorCode})`} causes={problem.causes} />}
      <p>{entry.description}</p>
      <ActionForm action={`/admin/catalog/${seg(entry.name)}/add`} csrf={props.csrf} label={`Add ${entry.displayName}`}>
        <label for="label">Application label</label>
        <input type="text" id="label" name="label" value={value("label")} />
        {entry.signOnModes.length > 1 ? (
          <>
            <label for="signOnMode">Sign-on method</label>
            <select id="signOnMode" name="signOnMode">
              {entry.signOnModes.map((mode) => (
                <option value={mode} selected={value("signOnMode") === mode}>
                  {signOnName(mode)}
                </option>
              ))}
            </select>
          </>
        ) : (
          <p>
            Sign-on method: {signOnName(entry.signOnModes[0])}
            <input type="hidden" name="signOnMode" value={entry.signOnModes[0]} />
          </p>
        )}
        {Object.entries(entry.settings).map(([key, setting]) => (
          <>
            <label for={`setting-${key}`}>
              {setting.title}
              {setting.required ? " (required)" : ""}
            </label>
            {(setting.description || setting.example) && (
              <p class="hint" id={`setting-${key}-hint`}>
                {setting.description} {setting.example ? `For example: ${setting.example}` : ""}
              </p>
            )}
            <input
              type="text"
              id={`setting-${key}`}
              name={`setting.${key}`}
              value={value(`setting.${key}`)}
              aria-describedby={setting.description || setting.example ? `setting-${key}-hint` : undefined}
            />
          </>
        ))}
        {entry.provisioning && (
          <p class="hint">
            Provisioning: {provisioningSummary(entry)}. After adding, enter the SCIM connection on the app's Provisioning tab
            {entry.provisioning.scimBaseUrl ? ` (base URL ${entry.provisioning.scimBaseUrl})` : ""}.
          </p>
        )}
        <p>
          <button type="submit" class="primary">
            Add {entry.displayName}
          </button>
        </p>
      </ActionForm>
    </Page>
  );
}
