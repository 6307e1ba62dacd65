import { findTemplate } from "../catalog/catalog";
import { launchUrlFor } from "../catalog/instance";
import type { ActiveAssignment } from "../db/queries/app-links";

// The rules of a user's app links (Okta's AssignedAppLink, what My Apps shows): which apps have
// a link, whether it is hidden, its order, and where it leads. No HTTP, no storage.

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json => (value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : {});

/** Each app has one link, named as Okta names an app's link in `visibility.appLinks`. */
export function linkNameOf(appName: string): string {
  return `${appName}_link`;
}

// An app name is any string a client gave; a lone UTF-16 surrogate in it cannot be percent-encoded.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const segment = (text: string) => encodeURIComponent(text.replace(LONE_SURROGATE, "\ufffd"));

/** The path of an app's launch link (Okta's `/home/{appName}/{appId}/{linkName}`), which My Apps tiles open. */
export function launchPath(appName: string, appId: string): string {
  return `/home/${segment(appName)}/${segment(appId)}/${segment(linkNameOf(appName))}`;
}

/** `visibility.appLinks.<link>: false` removes the link; `visibility.hide.web` keeps it but hides it from My Apps. */
export function linkShown(assignment: Pick<ActiveAssignment, "name" | "visibility">): boolean {
  return asObject(asObject(assignment.visibility).appLinks)[linkNameOf(assignment.name)] !== false;
}

export function hiddenOnWeb(visibility: Json): boolean {
  return asObject(visibility.hide).web === true;
}

export function autoLaunches(visibility: Json): boolean {
  return visibility.autoLaunch === true;
}

/**
 * The user's order: apps they arranged first, in their order; then the others, oldest
 * assignment first (the order the assignments come in).
 */
export function inUserOrder<T extends { appId: string }>(links: T[], saved: string[]): T[] {
  const position = new Map(saved.map((id, i) => [id, i]));
  const arranged = links.filter((link) => position.has(link.appId)).sort((a, b) => position.get(a.appId)! - position.get(b.appId)!);
  return [...arranged, ...links.filter((link) => !position.has(link.appId))];
}

/** The order after moving one app a place earlier or later (a no-op at either end). */
export function moved(currentOrder: string[], appId: string, direction: "earlier" | "later"): string[] {
  const order = [...currentOrder];
  const i = order.indexOf(appId);
  const j = direction === "earlier" ? i - 1 : i + 1;
  if (i < 0 || j < 0 || j >= order.length) return order;
  [order[i], order[j]] = [order[j], order[i]];
  return order;
}

/** Whether the user's credentials for the app are in place: only apps that sign in with per-user passwords need any. */
export function credentialsSetUp(assignment: Pick<ActiveAssignment, "signOnMode" | "credentials" | "hasPassword" | "userName">): boolean {
  const scheme = asObject(assignment.credentials).scheme;
  if (scheme === "EDIT_USERNAME_AND_PASSWORD" || scheme === "EDIT_PASSWORD_ONLY" || scheme === "ADMIN_SETS_CREDENTIALS") {
    return Boolean(assignment.hasPassword) && Boolean(assignment.userName);
  }
  if (scheme === "SHARED_USERNAME_AND_PASSWORD") return "password" in asObject(assignment.credentials);
  return false;
}

/**
 * Where launching the app takes the user: the catalog template's sign-in URL, else the URL the
 * sign-on mode keeps (a bookmark's URL, an SWA login page, an OIDC client's login URI).
 * Undefined when the app has none (a SAML app without a template): provisio issues no SAML
 * assertions, so the launch page says so instead. Only http(s) URLs are ever returned.
 */
export function launchTarget(app: Pick<ActiveAssignment, "signOnMode" | "settings" | "catalogName">): string | undefined {
  const settings = asObject(app.settings);
  const template = app.catalogName ? findTemplate(app.catalogName) : undefined;
  const oauth = asObject(settings.oauthClient);
  const candidates = [
    template ? launchUrlFor(template, settings) : undefined,
    app.signOnMode === "BOOKMARK" || app.signOnMode === "BASIC_AUTH" ? asObject(settings.app).url : undefined,
    app.signOnMode === "AUTO_LOGIN" ? asObject(settings.signOn).loginUrl : undefined,
    app.signOnMode === "OPENID_CONNECT" ? (oauth.initiate_login_uri ?? oauth.client_uri) : undefined,
  ];
  for (const candidate of candidates) {
    if (typeof candidate !== "string") continue;
    try {
      const url = new URL(candidate);
      if (url.protocol === "https:" || url.protocol === "http:") return url.toString();
    } catch {
      // not a URL: try the next one
    }
  }
  return undefined;
}
