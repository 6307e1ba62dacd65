import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { app } from "../../src/app";
import { ORIGIN, TOKEN, type ApiResponse } from "./api";

/**
 * Calls the app with some variables overridden (small rate limits, small request caps) for this
 * call only, so a test can use limits that would break every other test. The bindings (D1, the
 * Durable Objects) are the test run's own.
 */
export async function apiWithVars<T = any>(
  vars: Partial<Record<keyof Env, string>>,
  method: string,
  path: string,
  options: { token?: string | null; body?: BodyInit; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  if (options.token !== null) headers.Authorization ??= `SSWS ${options.token ?? TOKEN}`;
  if (options.body !== undefined) headers["Content-Type"] ??= "application/json";
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`${ORIGIN}${path}`, { method, headers, body: options.body }), { ...env, ...vars }, ctx);
  const text = await response.text();
  await waitOnExecutionContext(ctx);
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}
