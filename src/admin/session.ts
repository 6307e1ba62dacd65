import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { open, seal } from "../crypto/secret-box";
import { sameHash } from "../crypto/token-hash";
import { fromBase64, toBase64, toHex } from "../crypto/encoding";

// The console's session is one cookie holding the API token the administrator signed in with,
// sealed (AES-GCM under CREDENTIALS_KEY) with a per-session CSRF secret and an expiry. It is
// HttpOnly and SameSite=Strict, Secure everywhere but localhost, and scoped to /admin; the token
// is never written to the page, to localStorage or to a log.

export const SESSION_COOKIE = "provisio_admin";
const FLASH_COOKIE = "provisio_admin_flash";
export const SESSION_HOURS = 8;
const SESSION_PURPOSE = "provisio.admin-session.v1";

export interface AdminSession {
  token: string;
  csrf: string;
  expires: number;
}

function cookieOptions(c: Context, maxAge: number) {
  return {
    path: "/admin",
    httpOnly: true,
    sameSite: "Strict" as const,
    secure: !isLocalhost(new URL(c.req.url).hostname),
    maxAge,
  };
}

export function isLocalhost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "127.0.0.1" || hostname === "[::1]" || hostname.endsWith(".localhost");
}

export async function startSession<E extends { Bindings: Env }>(c: Context<E>, token: string): Promise<void> {
  const session: AdminSession = {
    token,
    csrf: toHex(crypto.getRandomValues(new Uint8Array(32))),
    expires: Date.now() + SESSION_HOURS * 3600_000,
  };
  const sealed = await seal(c.env.CREDENTIALS_KEY, JSON.stringify(session), SESSION_PURPOSE);
  setCookie(c, SESSION_COOKIE, sealed, cookieOptions(c, SESSION_HOURS * 3600));
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/admin", secure: !isLocalhost(new URL(c.req.url).hostname) });
}

/** The session in the request's cookie, or undefined when it is missing, forged or expired. */
export async function readSession<E extends { Bindings: Env }>(c: Context<E>): Promise<AdminSession | undefined> {
  const sealed = getCookie(c, SESSION_COOKIE);
  if (!sealed) return undefined;
  try {
    const session = JSON.parse(await open(c.env.CREDENTIALS_KEY, sealed, SESSION_PURPOSE)) as AdminSession;
    return typeof session.token === "string" && typeof session.csrf === "string" && session.expires > Date.now() ? session : undefined;
  } catch {
    return undefined;
  }
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
