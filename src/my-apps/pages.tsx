import type { Child } from "hono/jsx";
import type { AssignedAppLink } from "../services/app-links";

// My Apps pages (server-rendered, no script): the sign-in form and the user's tiles.

export function MyAppsPage({ title, user, csrf, children }: { title: string; user?: string; csrf?: string; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · My Apps`}</title>
        <link rel="stylesheet" href="/my-apps/assets/my-apps.css" />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href="/my-apps">
            My Apps
          </a>
          {user && csrf && (
            <form method="post" action="/my-apps/sign-out" class="sign-out">
              <span class="muted">{user}</span> <input type="hidden" name="_csrf" value={csrf} />
              <button type="submit">Sign out</button>
            </form>
          )}
        </header>
        <main id="main" tabindex={-1}>
          {children}
        </main>
      </body>
    </html>
  );
}

export function Notice({ kind, text }: { kind: "error" | "ok"; text: string }) {
  return (
    <div class={`notice ${kind}`} role={kind === "error" ? "alert" : "status"}>
      <strong>{kind === "error" ? "Error:" : "Done:"}</strong> {text}
    </div>
  );
}

export function SignInPage({ error, notice, next, login }: { error?: string; notice?: string; next?: string; login?: string }) {
  return (
    <MyAppsPage title="Sign in">
      <h1>Sign in to My Apps</h1>
      {error && <Notice kind="error" text={error} />}
      {notice && <Notice kind="ok" text={notice} />}
      <form method="post" action="/my-apps/sign-in" class="sign-in">
        {next && <input type="hidden" name="next" value={next} />}
        <label for="login">Username</label>
        <input type="text" id="login" name="login" autocomplete="username" required value={login ?? ""} />
        <label for="password">Password</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required />
        <p>
          <button type="submit" class="primary">
            Sign in
          </button>
        </p>
      </form>
    </MyAppsPage>
  );
}

export function TilesPage(props: { user: string; csrf: string; links: AssignedAppLink[]; q: string; total: number; notice?: string }) {
  const { links, q, csrf } = props;
  return (
    <MyAppsPage title="My Apps" user={props.user} csrf={csrf}>
      <h1>My Apps</h1>
      {props.notice && <Notice kind="ok" text={props.notice} />}
      <form method="get" action="/my-apps" role="search" class="search">
        <label for="app-search" class="sr-only">
          Search your apps
        </label>
        <input type="search" id="app-search" name="q" value={q} placeholder="Search your apps" />
        <button type="submit">Search</button>
        {q && <a href="/my-apps">Clear</a>}
      </form>
      {props.total === 0 ? (
        <p id="no-apps">You have no apps yet. Apps your administrator assigns to you, or to one of your groups, appear here.</p>
      ) : links.length === 0 ? (
        <p>No app matches “{q}”.</p>
      ) : (
        <ul class="tiles" aria-label="Your apps">
          {links.map((link, i) => (
            <li class="tile" data-app-id={link.appInstanceId}>
              <a href={link.linkUrl} class="launch">
                <img src={new URL(link.logoUrl).pathname} alt="" width={64} height={64} />
                <span class="label">{link.label}</span>
              </a>
              {!q && (
                <div class="order">
                  <form method="post" action="/my-apps/order" class="inline">
                    <input type="hidden" name="_csrf" value={csrf} />
                    <input type="hidden" name="appId" value={link.appInstanceId} />
                    <input type="hidden" name="direction" value="earlier" />
                    <button type="submit" aria-label={`Move ${link.label} earlier`} disabled={i === 0}>
                      ←
                    </button>
                  </form>
                  <form method="post" action="/my-apps/order" class="inline">
                    <input type="hidden" name="_csrf" value={csrf} />
                    <input type="hidden" name="appId" value={link.appInstanceId} />
                    <input type="hidden" name="direction" value="later" />
                    <button type="submit" aria-label={`Move ${link.label} later`} disabled={i === links.length - 1}>
                      →
                    </button>
                  </form>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </MyAppsPage>
  );
}

export const MY_APPS_CSS = `
:root { --fg: #1d1d1f; --muted: #5c5c66; --line: #d4d4dc; --accent: #1f4fd1; --bad: #a4161a; --good: #1b6b32; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: #f6f6f9; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 2; }
header.top { display: flex; align-items: center; gap: 16px; padding: 10px 20px; border-bottom: 1px solid var(--line); background: #fff; }
header.top .brand { font-weight: 700; text-decoration: none; color: var(--fg); }
header.top .sign-out { margin-left: auto; }
main { padding: 16px 20px 40px; max-width: 1100px; }
h1 { font-size: 1.5rem; }
.muted { color: var(--muted); }
.notice { border: 2px solid; padding: 10px 14px; margin: 10px 0; border-radius: 4px; background: #fff; }
.notice.error { border-color: var(--bad); } .notice.ok { border-color: var(--good); }
form.sign-in { max-width: 360px; background: #fff; padding: 16px 20px; border: 1px solid var(--line); border-radius: 6px; }
label { display: block; margin: 8px 0 2px; font-weight: 500; }
input[type=text], input[type=password], input[type=search] { font: inherit; padding: 6px 8px; border: 1px solid #9a9aa6; border-radius: 3px; width: 100%; }
form.search { display: flex; gap: 8px; align-items: center; max-width: 520px; margin-bottom: 16px; }
button { font: inherit; padding: 5px 12px; border: 1px solid #9a9aa6; border-radius: 4px; background: #fff; cursor: pointer; }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
button:disabled { opacity: 0.4; cursor: default; }
ul.tiles { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 14px; }
li.tile { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px; text-align: center; }
li.tile a.launch { display: flex; flex-direction: column; align-items: center; gap: 8px; text-decoration: none; color: var(--fg); }
li.tile .label { font-weight: 600; }
li.tile .order { display: flex; justify-content: center; gap: 6px; margin-top: 8px; }
.inline { display: inline; margin: 0; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
