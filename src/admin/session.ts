import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { hashToken, sameHash } from "../crypto/token-hash";
import { fromBase64, toBase64 } from "../crypto/encoding";
import { cookieFlags, cookieName, endWebSession, isLocalhost, readWebSession, startWebSession } from "../http/web-session";

// The console's session lives server-side (src/http/web-session.ts): the `provisio_admin` cookie
// (HttpOnly, SameSite=Strict, Secure everywhere but localhost, scoped to /admin, 8 hours) holds
// only a sealed random session id; the row holds the signed-in API token (sealed), the CSRF
// secret and the expiry. The token is never written to the page, to localStorage or to a log.

export const SESSION_COOKIE = cookieName("admin");
const FLASH_COOKIE = "provisio_admin_flash";

export interface AdminSession {
  idHash: string;
  token: string;
  csrf: string;
  expires: number;
}

function cookieOptions(c: Context, maxAge: number) {
  return cookieFlags(c, "/admin", maxAge);
}

/** Signs in: the session's subject is the token's hash, so revoking the token (or "sign out everywhere") finds it. */
export async function startSession<E extends { Bindings: Env }>(c: Context<E>, token: string): Promise<void> {
  await startWebSession(c, "admin", await hashToken(token), token);
}

export async function endSession<E extends { Bindings: Env }>(c: Context<E>): Promise<void> {
  await endWebSession(c, "admin");
}

/** The session the request's cookie names, or undefined when it is missing, forged, expired or ended. */
export async function readSession<E extends { Bindings: Env }>(c: Context<E>): Promise<AdminSession | undefined> {
  const session = await readWebSession(c, "admin");
  if (!session?.token) return undefined;
  return { idHash: session.idHash, token: session.token, csrf: session.csrf, expires: session.expires };
}

export function csrfMatches(session: AdminSession, presented: unknown): boolean {
  return typeof presented === "string" && sameHash(presented, session.csrf);
}

/** A one-shot message for the next page (after a redirect): what an action did or why it failed. */
export interface Flash {
  kind: "ok" | "error";
  text: string;
  causes?: string[];
}

export function setFlash(c: Context, flash: Flash): void {
  const bounded: Flash = {
    kind: flash.kind,
    text: flash.text.slice(0, 600),
    causes: flash.causes?.slice(0, 5).map((cause) => cause.slice(0, 300)),
  };
  setCookie(c, FLASH_COOKIE, toBase64(new TextEncoder().encode(JSON.stringify(bounded))), cookieOptions(c, 60));
}

export function takeFlash(c: Context): Flash | undefined {
  const raw = getCookie(c, FLASH_COOKIE);
  if (!raw) return undefined;
  deleteCookie(c, FLASH_COOKIE, { path: "/admin", secure: !isLocalhost(new URL(c.req.url).hostname) });
  try {
    const flash = JSON.parse(new TextDecoder().decode(fromBase64(raw))) as Flash;
    return (flash.kind === "ok" || flash.kind === "error") && typeof flash.text === "string" ? flash : undefined;
  } catch {
    return undefined;
  }
}
