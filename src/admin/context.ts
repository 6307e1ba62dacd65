import type { Context } from "hono";
import { ApiProblem, type AdminApi } from "./api-client";
import { setFlash, type AdminSession, type Flash } from "./session";

export type AdminEnv = {
  Bindings: Env;
  Variables: { session: AdminSession; api: AdminApi; requestId: string };
};
export type AdminContext = Context<AdminEnv>;

export type FormValues = Record<string, string | string[]>;

/** The posted form, with repeated names (checkbox lists) kept as arrays. */
export async function formOf(c: AdminContext): Promise<FormValues> {
  const body = await c.req.parseBody({ all: true });
  const out: FormValues = {};
  for (const [key, value] of Object.entries(body)) {
    if (Array.isArray(value)) out[key] = value.filter((v): v is string => typeof v === "string");
    else if (typeof value === "string") out[key] = value;
  }
  return out;
}

export function field(form: FormValues, name: string): string {
  const value = form[name];
  return (Array.isArray(value) ? value[0] : value) ?? "";
}

export function fields(form: FormValues, name: string): string[] {
  const value = form[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export const checked = (form: FormValues, name: string) => field(form, name) === "on";

/**
 * Runs a console action and redirects back (post/redirect/get): success and API errors both
 * arrive on the next page as a one-shot banner, so a refresh never repeats the action.
 */
export async function act(c: AdminContext, back: string, run: () => Promise<Flash | string | void>): Promise<Response> {
  try {
    const outcome = await run();
    if (typeof outcome === "string") setFlash(c, { kind: "ok", text: outcome });
    else if (outcome) setFlash(c, outcome);
  } catch (error) {
    if (!(error instanceof ApiProblem) || error.status === 401) throw error;
    setFlash(c, { kind: "error", text: `${error.summary} (${error.errorCode})`, causes: error.causes });
  }
  return c.redirect(back, 303);
}

/**
 * A path segment from user input, safe to put in an API path: encoded, and never empty or a dot
 * segment (which URL resolution would turn into a different path).
 */
export function seg(value: string): string {
  if (value === "" || value === "." || value === "..") throw new ApiProblem(404, "E0000007", "Not found: Resource not found: (URL)", []);
  return encodeURIComponent(value);
}
