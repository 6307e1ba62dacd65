import { exports } from "cloudflare:workers";

export const TOKEN = "test-bootstrap-token";
export const ORIGIN = "http://provisio.test";

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** Calls the Worker's own fetch handler, authenticated with the bootstrap token. */
export async function api<T = any>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse<T>> {
  const init: RequestInit = { method, headers: { Authorization: `SSWS ${TOKEN}`, Accept: "application/json", ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["Content-Type"] ??= "application/json";
  }
  const response = await exports.default.fetch(new Request(`${ORIGIN}${path}`, init));
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

export function unique(prefix = "t"): string {
  return `${prefix}${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`;
}

export async function createUser(overrides: Record<string, unknown> = {}, query = "") {
  const name = unique("u");
  const { profile, ...rest } = overrides as { profile?: Record<string, unknown> };
  const res = await api("POST", `/api/v1/users${query}`, {
    profile: { firstName: "Ada", lastName: name, email: `${name}@example.com`, login: `${name}@example.com`, ...profile },
    ...rest,
  });
  if (res.status !== 200) throw new Error(`createUser: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function createGroup(name = unique("g")) {
  const res = await api("POST", "/api/v1/groups", { profile: { name, description: "test group" } });
  if (res.status !== 200) throw new Error(`createGroup: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function createApp(overrides: Record<string, unknown> = {}) {
  const res = await api("POST", "/api/v1/apps", {
    label: unique("Bookmark "),
    signOnMode: "BOOKMARK",
    settings: { app: { url: "https://example.com/" } },
    ...overrides,
  });
  if (res.status !== 200) throw new Error(`createApp: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Parses Okta's Link header(s) into { self, next } absolute URLs. */
export function links(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (headers.get("Link") ?? "").split(/,\s*(?=<)/)) {
    const match = /<([^>]+)>;\s*rel="([^"]+)"/.exec(part);
    if (match) out[match[2]] = match[1];
  }
  return out;
}

/** Path and query of an absolute URL, to feed back into `api`. */
export function pathOf(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}
