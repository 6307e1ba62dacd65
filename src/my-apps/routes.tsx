import { Hono, type Context } from "hono";
import { csrf } from "hono/csrf";
import { secureHeaders } from "hono/secure-headers";
import { clientAddressKey } from "../access/rate-limits";
import type { AuditContext } from "../audit/system-log";
import { writeLog } from "../audit/system-log";
import { sameHash } from "../crypto/token-hash";
import { createDb } from "../db/client";
import type { UserRow } from "../db/schema";
import { getUser } from "../db/queries/users";
import { endWebSession, readWebSession, startWebSession, type WebSession } from "../http/web-session";
import { appLinksOf, moveAppLink } from "../services/app-links";
import { signInEndUser, userActor } from "../services/end-user-sign-in";
import { deliverCapturedPassword } from "../services/pending-passwords";
import { launchTarget, linkShown } from "./links";
import { activeAssignmentsOf } from "../db/queries/app-links";
import { MY_APPS_CSS, MyAppsPage, Notice, SignInPage, TilesPage } from "./pages";

type MyAppsEnv = { Bindings: Env; Variables: { requestId: string; session: WebSession; user: UserRow } };
type MyAppsContext = Context<MyAppsEnv>;

const headers = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'none'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
  referrerPolicy: "same-origin",
});

async function noStore(c: Context, next: () => Promise<void>) {
  await next();
  if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
}

/** Where to go after sign-in: only this origin's own My Apps and launch paths. */
function safeNext(value: unknown): string | undefined {
  return typeof value === "string" && /^\/(my-apps|home\/)[\w\-./%]*$/.test(value) && !value.includes("..") ? value : undefined;
}

function field(form: Record<string, unknown>, name: string): string {
  const value = form[name];
  return typeof value === "string" ? value : "";
}

function auditOf(c: MyAppsContext, user?: UserRow): AuditContext {
  const ip = c.req.header("CF-Connecting-IP");
  const agent = c.req.header("User-Agent");
  return {
    requestId: c.get("requestId"),
    ...(user ? { actor: userActor(user) } : {}),
    client: { ...(ip ? { ipAddress: ip.slice(0, 64) } : {}), ...(agent ? { userAgent: { rawUserAgent: agent.slice(0, 512) } } : {}) },
  };
}

/**
 * The signed-in user, when their session is live and they may still sign in: a user deactivated
 * or suspended meanwhile loses the session at once and sees nothing.
 */
async function signedInUser(c: MyAppsContext): Promise<{ session: WebSession; user: UserRow } | undefined> {
  const session = await readWebSession(c, "end-user");
  if (!session) return undefined;
  const user = await getUser(createDb(c.env.DB), session.subject);
  if (!user || user.status !== "ACTIVE") {
    await endWebSession(c, "end-user", session);
    return undefined;
  }
  return { session, user };
}

const displayName = (user: UserRow) => [user.firstName, user.lastName].filter(Boolean).join(" ") || user.login;

/** My Apps (/my-apps): end users sign in with their Okta login and password and open their apps. */
export const myAppsRoutes = new Hono<MyAppsEnv>()
  .use("*", headers, csrf(), noStore)
  .get("/assets/my-apps.css", (c) =>
    c.body(MY_APPS_CSS, 200, { "Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=300" }),
  )
  .get("/sign-in", async (c) => {
    if (await signedInUser(c)) return c.redirect("/my-apps", 303);
    const ended = c.req.query("ended") === "1";
    return c.html(<SignInPage next={safeNext(c.req.query("next"))} error={ended ? "Your session has ended. Sign in again." : undefined} />);
  })
  .post("/sign-in", async (c) => {
    const form = await c.req.parseBody();
    const login = field(form, "login").slice(0, 256);
    const password = field(form, "password").slice(0, 256);
    const next = safeNext(field(form, "next"));
    if (!login || !password) return c.html(<SignInPage error="Enter your username and password." next={next} login={login} />, 400);
    const db = createDb(c.env.DB);
    const outcome = await signInEndUser(c.env, db, {
      login,
      password,
      address: clientAddressKey(c.req.header("CF-Connecting-IP")),
      audit: auditOf(c),
    });
    if (!outcome.ok) {
      return outcome.reason === "rate_limited"
        ? c.html(<SignInPage error="Too many sign-in attempts. Wait a minute and try again." next={next} login={login} />, 429)
        : c.html(<SignInPage error="Sign-in failed. Check your username and password." next={next} login={login} />, 401);
    }
    const user = outcome.user;
    await startWebSession(c, "end-user", user.id);
    try {
      // Okta's way of giving apps a password it keeps only as a hash: take it at sign-in.
      await deliverCapturedPassword(c.env, db, user, password, auditOf(c, user));
    } catch (error) {
      console.error(
        JSON.stringify({ event: "my_apps.password_capture_failed", userId: user.id, reason: error instanceof Error ? error.message : "" }),
      );
    }
    if (next) return c.redirect(next, 303);
    // visibility.autoLaunch: "automatically signs in to the app when the user signs in".
    const links = await appLinksOf(db, user.id, new URL(c.req.url).origin);
    const launch = links.find(({ link, autoLaunch }) => autoLaunch && !link.hidden);
    return c.redirect(launch ? new URL(launch.link.linkUrl).pathname : "/my-apps", 303);
  })
  .use("*", async (c, next) => {
    const signedIn = await signedInUser(c);
    if (!signedIn) {
      if (c.req.method === "GET") {
        const path = new URL(c.req.url).pathname;
        const params = new URLSearchParams({ ...(path !== "/my-apps" ? { next: path } : {}) });
        return c.redirect(`/my-apps/sign-in${params.size ? `?${params}` : ""}`, 303);
      }
      return c.html(<SignInPage error="Your session has ended. Sign in again." />, 401);
    }
    if (c.req.method === "POST") {
      const presented = field(await c.req.parseBody(), "_csrf");
      if (!presented || !sameHash(presented, signedIn.session.csrf)) {
        return c.html(
          <MyAppsPage title="Request refused">
            <Notice kind="error" text="This form is out of date or did not come from My Apps. Nothing was changed." />
            <p>
              <a href="/my-apps">Back to My Apps</a>
            </p>
          </MyAppsPage>,
          403,
        );
      }
    }
    c.set("session", signedIn.session);
    c.set("user", signedIn.user);
    await next();
  })
  .get("/", async (c) => {
    const user = c.get("user");
    const q = (c.req.query("q") ?? "").trim().slice(0, 100);
    const links = (await appLinksOf(createDb(c.env.DB), user.id, new URL(c.req.url).origin))
      .map(({ link }) => link)
      .filter((link) => !link.hidden);
    const shown = q ? links.filter((link) => link.label.toLowerCase().includes(q.toLowerCase())) : links;
    return c.html(<TilesPage user={displayName(user)} csrf={c.get("session").csrf} links={shown} total={links.length} q={q} />);
  })
  .post("/order", async (c) => {
    const form = await c.req.parseBody();
    const direction = field(form, "direction") === "earlier" ? "earlier" : "later";
    await moveAppLink(createDb(c.env.DB), c.get("user").id, field(form, "appId"), direction);
    return c.redirect("/my-apps", 303);
  })
  .post("/sign-out", async (c) => {
    const user = c.get("user");
    await endWebSession(c, "end-user", c.get("session"));
    await writeLog(createDb(c.env.DB), [
      {
        eventType: "user.session.end",
        displayMessage: "User logout from Okta",
        actor: userActor(user),
        audit: auditOf(c, user),
        outcome: { result: "SUCCESS" },
        target: [{ id: user.id, type: "User", alternateId: user.login }],
      },
    ]);
    return c.html(<SignInPage notice="You are signed out." />);
  });

/**
 * The links My Apps tiles (and AssignedAppLink.linkUrl) point at: /home/{appName}/{appId}/{link}.
 * They open the app for a signed-in user who still has it; anyone else gets the sign-in page
 * (and comes back here after it) or a "not assigned" page.
 */
export const launchRoutes = new Hono<MyAppsEnv>().use("*", headers, noStore).get("/:appName/:appId/:linkName", async (c) => {
  const signedIn = await signedInUser(c);
  if (!signedIn) return c.redirect(`/my-apps/sign-in?${new URLSearchParams({ next: new URL(c.req.url).pathname })}`, 303);
  const { appId } = c.req.param();
  // The same rule as the user's app links: an ACTIVE app they have, whose link is not turned off.
  const assignment = (await activeAssignmentsOf(createDb(c.env.DB), signedIn.user.id)).find((row) => row.appId === appId && linkShown(row));
  if (!assignment) {
    return c.html(
      <MyAppsPage title="Not available" user={displayName(signedIn.user)} csrf={signedIn.session.csrf}>
        <Notice kind="error" text="This app is not assigned to you, or it is not active." />
        <p>
          <a href="/my-apps">Back to My Apps</a>
        </p>
      </MyAppsPage>,
      404,
    );
  }
  const target = launchTarget(assignment);
  if (target) return c.redirect(target, 303);
  return c.html(
    <MyAppsPage title={assignment.label} user={displayName(signedIn.user)} csrf={signedIn.session.csrf}>
      <h1>{assignment.label}</h1>
      <p>
        This app signs in with {assignment.signOnMode}, which provisio does not perform: provisio manages who has the app and their accounts
        in it. Open the app from its own sign-in page.
      </p>
      <p>
        <a href="/my-apps">Back to My Apps</a>
      </p>
    </MyAppsPage>,
  );
});
