import type { Context } from "hono";
import { z } from "zod";
import { encodeCursor } from "../domain/cursor";
import type { AppEnv } from "./context";

/**
 * Okta's `limit`: an integer, -1 meaning the endpoint's default; values above the endpoint's
 * maximum are capped at it.
 */
export function limitParam(defaultLimit: number, max: number) {
  return z
    .string()
    .regex(/^-?\d+$/, "limit must be an integer")
    .optional()
    .transform((raw) => (raw === undefined ? defaultLimit : Number(raw)))
    .refine((n) => n === -1 || n >= 1, "limit must be -1 or at least 1")
    .transform((n) => (n === -1 ? defaultLimit : Math.min(n, max)));
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Queries fetch `limit + 1` rows: the extra row only says whether a next page exists, and the
 * cursor is the sort key of the last row returned.
 */
export function toPage<T>(rows: T[], limit: number, sortKey: (row: T) => (string | number)[]): Page<T> {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(sortKey(items[items.length - 1])) };
}

/**
 * Okta's Link headers: absolute URLs on the origin the client called; `next` only when more
 * remain, keeping every original query parameter (limit, q, expand, filter) and replacing `after`.
 */
export function setLinkHeaders(c: Context<AppEnv>, nextCursor: string | null): void {
  const url = new URL(c.req.url);
  const base = `${url.origin}${c.req.path}`;
  c.header("Link", `<${base}${url.search}>; rel="self"`, { append: true });
  if (nextCursor) {
    const params = new URLSearchParams(url.search);
    params.set("after", nextCursor);
    c.header("Link", `<${base}?${params.toString()}>; rel="next"`, { append: true });
  }
}

/**
 * Trims a `limit + 1` query result to one page, sets the Link headers for it and returns the
 * page's rows. `sortKey` gives the keyset position of a row (what the next page seeks after).
 */
export function respondWithPage<T>(c: Context<AppEnv>, rows: T[], limit: number, sortKey: (row: T) => (string | number)[]): T[] {
  const page = toPage(rows, limit, sortKey);
  setLinkHeaders(c, page.nextCursor);
  return page.items;
}

/** The absolute base for `_links` hrefs: the origin the client called. */
export function baseUrl(c: Context<AppEnv>): string {
  return new URL(c.req.url).origin;
}
