// The console acts only through provisio's own API: every button is a call an API client could
// make with the same token, and it gets the same validation, scope checks, System Log entries
// and Okta error envelope. Calls run in-process (no network hop) through the app's fetch.

// Hono's ExecutionContext type is narrower than workerd's; the console only passes it through.
export type ApiFetch = (request: Request, env: Env, ctx: ExecutionContextLike) => Response | Promise<Response>;
type ExecutionContextLike = Parameters<import("hono").Hono["fetch"]>[2];

/** An Okta error envelope the API answered with, kept for the panel that shows it. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly summary: string,
    readonly causes: string[],
  ) {
    super(summary);
    this.name = "ApiProblem";
  }
}

export interface ApiPage<T> {
  items: T[];
  /** The `after` cursor of the next page, from the Link header. */
  after: string | null;
}

export interface AdminApi {
  get<T>(path: string): Promise<T>;
  page<T>(path: string): Promise<ApiPage<T>>;
  send<T = unknown>(method: "POST" | "PUT" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<T>;
  /** The API's response itself, for the rare action whose headers matter. */
  request(method: "POST" | "PUT" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<Response>;
}

export function adminApi(
  fetchApi: ApiFetch,
  origin: string,
  token: string,
  env: Env,
  ctx: ExecutionContextLike,
  /** The browser's address, so failed sign-ins are counted per client like any API call. */
  clientIp?: string,
): AdminApi {
  async function call(method: string, path: string, body?: unknown): Promise<Response> {
    const headers = new Headers({ Authorization: `SSWS ${token}`, Accept: "application/json", "User-Agent": "provisio-admin-console" });
    if (body !== undefined) headers.set("Content-Type", "application/json");
    if (clientIp) headers.set("CF-Connecting-IP", clientIp);
    const response = await fetchApi(
      new Request(new URL(path, origin), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }),
      env,
      ctx,
    );
    if (response.ok) return response;
    throw await problemFrom(response);
  }
  return {
    async get<T>(path: string) {
      return (await (await call("GET", path)).json()) as T;
    },
    async page<T>(path: string) {
      const response = await call("GET", path);
      return { items: (await response.json()) as T[], after: nextCursor(response.headers.get("Link")) };
    },
    async send<T>(method: "POST" | "PUT" | "PATCH" | "DELETE", path: string, body?: unknown) {
      const response = await call(method, path, body);
      const text = await response.text();
      return (text ? JSON.parse(text) : undefined) as T;
    },
    request: call,
  };
}

async function problemFrom(response: Response): Promise<ApiProblem> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { errorCode?: string; errorSummary?: string; errorCauses?: { errorSummary?: string }[] };
    return new ApiProblem(
      response.status,
      body.errorCode ?? `HTTP ${response.status}`,
      body.errorSummary ?? response.statusText,
      (body.errorCauses ?? []).map((cause) => cause.errorSummary ?? "").filter(Boolean),
    );
  } catch {
    return new ApiProblem(response.status, `HTTP ${response.status}`, response.statusText || "Request failed", []);
  }
}

/** The `after` value of the rel="next" link, which is all the console needs to page on. */
export function nextCursor(link: string | null): string | null {
  if (!link) return null;
  for (const part of link.split(",")) {
    const match = /<([^>]+)>\s*;\s*rel="next"/.exec(part);
    if (match) return new URL(match[1]).searchParams.get("after");
  }
  return null;
}

/**
 * A read whose "not there" answer is expected: undefined instead of an error for that status
 * (404 for a missing roadblock, 400 for an app without a provisioning connection).
 */
export async function unless<T>(status: number, read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof ApiProblem && error.status === status) return undefined;
    throw error;
  }
}
