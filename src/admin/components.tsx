import type { Child } from "hono/jsx";
import type { Flash } from "./session";
import type { ApiApp } from "./wire-types";

export const TABS = [
  { key: "assignments", label: "Assignments" },
  { key: "provisioning", label: "Provisioning" },
  { key: "import", label: "Import" },
  { key: "push-groups", label: "Push Groups" },
] as const;
export type TabKey = (typeof TABS)[number]["key"];

export interface PageProps {
  title: string;
  /** Absent on the sign-in page. */
  csrf?: string;
  flash?: Flash;
  children?: Child;
}

export function Page({ title, csrf, flash, children }: PageProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · provisio admin`}</title>
        <link rel="stylesheet" href="/admin/assets/admin.css" />
        <script type="module" src="/admin/assets/admin.js"></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href="/admin/apps">
            provisio admin
          </a>
          {csrf && (
            <nav aria-label="Main">
              <a href="/admin/apps">Applications</a> <a href="/admin/catalog">App Catalog</a>
            </nav>
          )}
          {csrf && (
            <div class="session-actions">
              <form method="post" action="/admin/sign-out" class="inline">
                <CsrfField token={csrf} />
                <button type="submit">Sign out</button>
              </form>
              <form method="post" action="/admin/sign-out-everywhere" class="inline">
                <CsrfField token={csrf} />
                <button type="submit" title="Ends every console session signed in with this API token, in every browser">
                  Sign out everywhere
                </button>
              </form>
            </div>
          )}
        </header>
        <main id="main" tabindex={-1}>
          {flash && <Banner kind={flash.kind} title={flash.text} causes={flash.causes} />}
          {children}
        </main>
      </body>
    </html>
  );
}

export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

/** A message box; the kind is also said in words, never by colour alone. */
export function Banner({
  kind,
  title,
  causes,
  children,
}: {
  kind: "ok" | "error" | "warn";
  title: string;
  causes?: string[];
  children?: Child;
}) {
  const word = kind === "ok" ? "Done:" : kind === "error" ? "Error:" : "Warning:";
  return (
    <div class={`banner ${kind}`} role={kind === "ok" ? "status" : "alert"}>
      <strong>
        {kind === "warn" ? "⚠ " : ""}
        {word} {title}
      </strong>
      {causes && causes.length > 0 && (
        <ul>
          {causes.map((cause) => (
            <li>{cause}</li>
          ))}
        </ul>
      )}
      {children}
    </div>
  );
}

export function AppHeader({ app, active }: { app: ApiApp; active: TabKey }) {
  return (
    <>
      <p class="muted">
        <a href="/admin/apps">Applications</a> ›
      </p>
      <h1>
        {app.label} <span class="status">{app.status}</span>
      </h1>
      <p class="muted">
        {app.name} · {app.signOnMode} · <code>{app.id}</code>
      </p>
      <nav class="tabs" aria-label="Application sections">
        <ul>
          {TABS.map((tab) => (
            <li>
              <a href={`/admin/apps/${encodeURIComponent(app.id)}/${tab.key}`} aria-current={tab.key === active ? "page" : undefined}>
                {tab.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
    </>
  );
}

/** A POST form carrying the CSRF token; the console's only way to change anything. */
export function ActionForm({
  action,
  csrf,
  children,
  inline,
  label,
}: {
  action: string;
  csrf: string;
  children?: Child;
  inline?: boolean;
  label?: string;
}) {
  return (
    <form method="post" action={action} class={inline ? "inline" : undefined} aria-label={label}>
      <CsrfField token={csrf} />
      {children}
    </form>
  );
}

export function userDisplayName(user: {
  profile: { login: string; firstName?: string | null; lastName?: string | null; displayName?: string | null };
}): string {
  const names = [user.profile.firstName, user.profile.lastName].filter(Boolean).join(" ");
  return user.profile.displayName || names || user.profile.login;
}

/** Said when a list stops at the console's page size, so nobody mistakes it for the whole list. */
export function CapNote({ shown, cap, apiPath }: { shown: number; cap: number; apiPath: string }) {
  if (shown < cap) return null;
  return (
    <p class="hint">
      Showing the first {cap}. The full list is paged by the API: <code>GET {apiPath}</code>.
    </p>
  );
}
