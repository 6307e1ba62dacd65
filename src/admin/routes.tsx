import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { ADMIN_CSS, ADMIN_JS } from "./assets";
import { adminApi, ApiProblem, type ApiFetch } from "./api-client";
import { Banner, Page } from "./components";
import { field, formOf, type AdminEnv } from "./context";
import { csrfMatches, endSession, readSession, SESSION_COOKIE, setFlash, startSession, takeFlash } from "./session";
import { appsListRoutes } from "./tabs/apps-list";
import { appInstanceRoutes } from "./tabs/app-instance";
import { catalogRoutes } from "./tabs/catalog";
import { createAppRoutes } from "./tabs/create-app";
import { assignmentsRoutes } from "./tabs/assignments";
import { importRoutes } from "./tabs/import";
import { provisioningTabRoutes } from "./tabs/provisioning";
import { pushGroupsRoutes } from "./tabs/push-groups";

const ENDED = "Your session has ended (signed out, signed out everywhere, or its API token was revoked). Sign in again.";

/**
 * The admin console at /admin: server-rendered pages over provisio's own API. `fetchApi` is the
 * Worker's fetch, so each console action is the API call a script would make with the same token.
 */
export function adminRoutes(fetchApi: ApiFetch) {
  const admin = new Hono<AdminEnv>();

  admin.use(
    "*",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      referrerPolicy: "same-origin",
    }),
  );
  // Cross-site form posts are refused by Origin before the per-session token is even checked.
  admin.use("*", csrf());
  admin.use("*", async (c, next) => {
    await next();
    if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
  });

  admin.get("/assets/admin.css", (c) =>
    c.body(ADMIN_CSS, 200, { "Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=300" }),
  );
  admin.get("/assets/admin.js", (c) =>
    c.body(ADMIN_JS, 200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=300" }),
  );

  admin.get("/sign-in", async (c) => {
    if (await readSession(c)) return c.redirect("/admin/apps", 303);
    return c.html(<SignInPage flash={takeFlash(c)} />);
  });

  admin.post("/sign-in", async (c) => {
    const token = field(await formOf(c), "token").trim();
    if (!token) return c.html(<SignInPage error="Enter an API token." />, 400);
    // A token is printable ASCII; anything else (a pasted zero-width space) could never be one.
    if (!/^[\x21-\x7e]{1,512}$/.test(token)) return c.html(<SignInPage error="That API token is not valid." />, 401);
    try {
      // The token is checked the way every API call checks it, with the cheapest read there is.
      await adminApi(fetchApi, new URL(c.req.url).origin, token, c.env, c.executionCtx, c.req.header("CF-Connecting-IP")).get(
        "/api/v1/apps?limit=1",
      );
    } catch (error) {
      if (!(error instanceof ApiProblem)) throw error;
      return c.html(
        <SignInPage error={error.status === 401 ? "That API token is not valid." : `${error.summary} (${error.errorCode})`} />,
        401,
      );
    }
    await startSession(c, token);
    return c.redirect("/admin/apps", 303);
  });

  // Everything below needs a session; state-changing requests also need its CSRF token.
  admin.use("*", async (c, next) => {
    const session = await readSession(c);
    if (!session) {
      // A cookie whose session is gone was ended on the server: by sign-out, "sign out
      // everywhere" or the revocation of its API token. Say so, and drop the dead cookie.
      const ended = getCookie(c, SESSION_COOKIE) !== undefined;
      if (ended) await endSession(c);
      if (c.req.method === "GET") {
        if (ended) setFlash(c, { kind: "error", text: ENDED });
        return c.redirect("/admin/sign-in", 303);
      }
      return c.html(<SignInPage error={ENDED} />, 401);
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      const form = await formOf(c);
      if (!csrfMatches(session, field(form, "_csrf"))) {
        return c.html(
          <Page title="Request refused" csrf={session.csrf}>
            <Banner
              kind="error"
              title="This form is out of date or did not come from this console (CSRF token mismatch). Nothing was changed."
            />
            <p>
              <a href="/admin/apps">Back to applications</a>
            </p>
          </Page>,
          403,
        );
      }
    }
    c.set("session", session);
    c.set("api", adminApi(fetchApi, new URL(c.req.url).origin, session.token, c.env, c.executionCtx, c.req.header("CF-Connecting-IP")));
    await next();
  });

  admin.post("/sign-out", async (c) => {
    await endSession(c);
    return c.redirect("/admin/sign-in", 303);
  });
  // Every console session signed in with this API token ends (other browsers, copied cookies).
  admin.post("/sign-out-everywhere", async (c) => {
    await c.get("api").send("DELETE", "/api/v1/api-tokens/current/sessions");
    await endSession(c);
    setFlash(c, { kind: "ok", text: "Signed out of every console session that used this API token." });
    return c.redirect("/admin/sign-in", 303);
  });
  admin.get("/", (c) => c.redirect("/admin/apps", 303));
  admin.route("/apps", appsListRoutes);
  admin.route("/apps", createAppRoutes);
  admin.route("/apps", appInstanceRoutes);
  admin.route("/catalog", catalogRoutes);
  admin.route("/apps", assignmentsRoutes);
  admin.route("/apps", provisioningTabRoutes);
  admin.route("/apps", importRoutes);
  admin.route("/apps", pushGroupsRoutes);

  // A sub-app's notFound is not used once mounted, so unknown console paths end here.
  admin.all("*", (c) =>
    c.html(
      <Page title="Not found" csrf={c.get("session")?.csrf}>
        <h1>Not found</h1>
        <p>
          There is no console page at this address. <a href="/admin/apps">Applications</a>
        </p>
      </Page>,
      404,
    ),
  );
  // An API answer the page did not expect (for example 404 for a deleted app) is shown, not thrown.
  admin.onError(async (error, c) => {
    if (error instanceof HTTPException && error.status === 403) {
      // hono/csrf: a form posted from another site.
      return c.html(
        <Page title="Request refused" csrf={c.get("session")?.csrf}>
          <Banner kind="error" title="This form was not sent from this console, so it was refused. Nothing was changed." />
        </Page>,
        403,
      );
    }
    if (!(error instanceof ApiProblem)) {
      console.error(
        JSON.stringify({ event: "admin.page_failed", path: c.req.path, reason: error instanceof Error ? error.message : String(error) }),
      );
      return c.html(
        <Page title="Error" csrf={c.get("session")?.csrf}>
          <Banner kind="error" title="Something went wrong on this page. Nothing was changed by it; try again." />
          <p>
            <a href="/admin/apps">Back to applications</a>
          </p>
        </Page>,
        500,
      );
    }
    if (error.status === 401) {
      // The token was revoked or expired since sign-in: the session is over.
      await endSession(c);
      setFlash(c, { kind: "error", text: "Your API token is no longer valid. Sign in again." });
      return c.redirect("/admin/sign-in", 303);
    }
    return c.html(
      <Page title="Error" csrf={c.get("session")?.csrf}>
        <Banner kind="error" title={`${error.summary} (${error.errorCode})`} causes={error.causes} />
        <p>
          <a href="/admin/apps">Back to applications</a>
        </p>
      </Page>,
      error.status === 404 ? 404 : error.status >= 500 ? 502 : 400,
    );
  });
  return admin;
}

function SignInPage({ error, flash }: { error?: string; flash?: { kind: "ok" | "error"; text: string } }) {
  return (
    <Page title="Sign in" flash={flash}>
      <h1>Sign in</h1>
      {error && <Banner kind="error" title={error} />}
      <form method="post" action="/admin/sign-in">
        <label for="token">API token</label>
        <p class="hint" id="token-hint">
          An SSWS API token of this org. It is kept on the server, sealed, for an 8-hour session; your browser gets only a session id.
        </p>
        <input type="password" id="token" name="token" autocomplete="off" required aria-describedby="token-hint" />
        <p>
          <button type="submit" class="primary">
            Sign in
          </button>
        </p>
      </form>
    </Page>
  );
}
