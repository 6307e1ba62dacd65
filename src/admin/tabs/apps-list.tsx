import { Hono } from "hono";
import { Page } from "../components";
import type { AdminEnv } from "../context";
import { takeFlash } from "../session";
import type { ApiApp } from "../wire-types";

const PAGE_SIZE = 50;

/** Applications: search by label or name (the API's `q`), paged with the API's cursor. */
export const appsListRoutes = new Hono<AdminEnv>().get("/", async (c) => {
  const q = (c.req.query("q") ?? "").slice(0, 100);
  const after = c.req.query("after");
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (q) params.set("q", q);
  if (after) params.set("after", after);
  const page = await c.get("api").page<ApiApp>(`/api/v1/apps?${params}`);
  const next = page.after ? `/admin/apps?${new URLSearchParams({ ...(q ? { q } : {}), after: page.after })}` : null;
  return c.html(
    <Page title="Applications" csrf={c.get("session").csrf} flash={takeFlash(c)}>
      <h1>Applications</h1>
      <form method="get" action="/admin/apps" role="search" class="toolbar">
        <label for="app-search" class="sr-only">
          Search applications
        </label>
        <input type="search" id="app-search" name="q" value={q} placeholder="Search by name" />
        <button type="submit">Search</button>
        {q && <a href="/admin/apps">Clear</a>}
      </form>
      <div class="toolbar">
        <a class="button primary" href="/admin/apps/new">
          Create App Integration
        </a>
        <a class="button" href="/admin/catalog">
          Browse App Catalog
        </a>
      </div>
      {page.items.length === 0 ? (
        <p>{q ? `No application matches “${q}”.` : "No applications yet. Add one from the App Catalog or create one with the wizard."}</p>
      ) : (
        <table>
          <caption class="sr-only">Applications</caption>
          <thead>
            <tr>
              <th scope="col">Application</th>
              <th scope="col">Name</th>
              <th scope="col">Sign-on mode</th>
              <th scope="col">Status</th>
              <th scope="col">Features</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((app) => (
              <tr>
                <td>
                  <a href={`/admin/apps/${encodeURIComponent(app.id)}/assignments`}>{app.label}</a>
                </td>
                <td>{app.name}</td>
                <td>{app.signOnMode}</td>
                <td>
                  <span class="status">{app.status}</span>
                </td>
                <td>{(app.features ?? []).join(", ") || <span class="muted">none</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <p>
          <a href={next}>Next page</a>
        </p>
      )}
    </Page>,
  );
});
