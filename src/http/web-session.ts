import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createDb } from "../db/client";
import type { WebSessionRow } from "../db/schema";
import { deleteExpiredSessions, deleteSession, findLiveSession, insertSession } from "../db/queries/web-sessions";
import { open, seal } from "../crypto/secret-box";
import { toHex } from "../crypto/encoding";
import { hashToken } from "../crypto/token-hash";

// Browser sessions of the admin console and of My Apps, kept server-side (D1 `web_sessions`).
// The cookie holds only a random session id, sealed with AES-GCM under CREDENTIALS_KEY (so a
// forged or altered cookie is refused before any lookup); the row is found by the id's SHA-256.
// Deleting the row ends the session at once for every copy of the cookie: sign-out, "sign out
// everywhere", revoking the API token an admin session uses, clearing a user's sessions.

export type SessionKind = WebSessionRow["kind"];

export const SESSION_HOURS = 8;

const COOKIES: Record<SessionKind, { name: string; path: string }> = {
  admin: { name: "provisio_admin", path: "/admin" },
  // My Apps tiles open /home/... launch links, so the end-user cookie covers the whole origin.
  "end-user": { name: "provisio_my_apps", path: "/" },
};

const purpose = (kind: SessionKind) => `provisio.web-session.${kind}.v2`;

export interface WebSession {
  idHash: string;
  kind: SessionKind;
  subject: string;
  csrf: string;
  expires: number;
  /** Admin sessions: the API token the console calls the API with. */
  token?: string;
}

export function isLocalhost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "127.0.0.1" || hostname === "[::1]" || hostname.endsWith(".localhost");
}

/** The console's flags: HttpOnly, SameSite=Strict, Secure everywhere but localhost. */
export function cookieFlags(c: Context, path: string, maxAge: number) {
  return { path, httpOnly: true, sameSite: "Strict" as const, secure: !isLocalhost(new URL(c.req.url).hostname), maxAge };
}

export function cookieName(kind: SessionKind): string {
  return COOKIES[kind].name;
}

export async function startWebSession<E extends { Bindings: Env }>(
  c: Context<E>,
  kind: SessionKind,
  subject: string,
  token?: string,
): Promise<WebSession> {
  const db = createDb(c.env.DB);
  const id = toHex(crypto.getRandomValues(new Uint8Array(32)));
  const now = new Date();
  const row: WebSessionRow = {
    idHash: await hashToken(id),
    kind,
    subject,
    tokenBox: token === undefined ? null : await seal(c.env.CREDENTIALS_KEY, token, `${purpose(kind)}.token`),
    csrf: toHex(crypto.getRandomValues(new Uint8Array(32))),
    created: now,
    expires: new Date(now.getTime() + SESSION_HOURS * 3600_000),
  };
  await deleteExpiredSessions(db, now);
  await insertSession(db, row);
  const { name, path } = COOKIES[kind];
  setCookie(c, name, await seal(c.env.CREDENTIALS_KEY, id, purpose(kind)), cookieFlags(c, path, SESSION_HOURS * 3600));
  return { idHash: row.idHash, kind, subject, csrf: row.csrf, expires: row.expires.getTime(), ...(token === undefined ? {} : { token }) };
}

/** The live session the request's cookie names, or undefined (no cookie, forged, expired or ended). */
export async function readWebSession<E extends { Bindings: Env }>(c: Context<E>, kind: SessionKind): Promise<WebSession | undefined> {
  const sealed = getCookie(c, COOKIES[kind].name);
  if (!sealed) return undefined;
  let id: string;
  try {
    id = await open(c.env.CREDENTIALS_KEY, sealed, purpose(kind));
  } catch {
    return undefined;
  }
  const idHash = await hashToken(id);
  const row = await findLiveSession(createDb(c.env.DB), idHash, kind, new Date());
  if (!row) return undefined;
  const session: WebSession = { idHash, kind, subject: row.subject, csrf: row.csrf, expires: row.expires.getTime() };
  if (row.tokenBox) session.token = await open(c.env.CREDENTIALS_KEY, row.tokenBox, `${purpose(kind)}.token`);
  return session;
}

/** Ends the request's session (if any) and clears its cookie. */
export async function endWebSession<E extends { Bindings: Env }>(c: Context<E>, kind: SessionKind, session?: WebSession): Promise<void> {
  const current = session ?? (await readWebSession(c, kind));
  if (current) await deleteSession(createDb(c.env.DB), current.idHash);
  clearSessionCookie(c, kind);
}

export function clearSessionCookie(c: Context, kind: SessionKind): void {
  const { name, path } = COOKIES[kind];
  deleteCookie(c, name, { path, secure: !isLocalhost(new URL(c.req.url).hostname) });
}
