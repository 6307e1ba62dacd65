// A small SCIM 2.0 client (RFC 7644) that classifies every outcome the way the task queue
// needs it: done, retry later (429 with its Retry-After, 5xx, network errors, timeouts) or
// failed for good (other 4xx, with the downstream's own reason).

type Json = Record<string, unknown>;

export type ScimOutcome<T = Json> =
  { ok: true; status: number; body: T } | { ok: false; status: number | null; retryable: boolean; retryAfterMs?: number; reason: string };

export interface ScimConnection {
  baseUrl: string;
  authorization: string;
  timeoutMs: number;
}

export const SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
export const SCIM_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const SCIM_PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

export class ScimClient {
  constructor(
    private readonly connection: ScimConnection,
    // Workers' fetch must be called unbound (as a plain function), hence the arrow.
    private readonly fetcher: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  async request<T = Json>(method: string, path: string, body?: unknown): Promise<ScimOutcome<T>> {
    const url = this.connection.baseUrl.replace(/\/+$/, "") + path;
    let response: Response;
    let text: string;
    try {
      response = await this.fetcher(url, {
        method,
        headers: {
          Authorization: this.connection.authorization,
          Accept: "application/scim+json, application/json",
          ...(body === undefined ? {} : { "Content-Type": "application/scim+json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.connection.timeoutMs),
        // A redirect could lead anywhere (http, private addresses): it is an answer, not followed.
        redirect: "manual",
      });
      // Inside the try: the timeout also covers the body, which can stall after the headers.
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      return {
        ok: false,
        status: null,
        retryable: true,
        reason: timedOut ? `no answer within ${this.connection.timeoutMs} ms` : `network error: ${describe(error)}`,
      };
    }
    const parsed = parseJson(text);
    // A success whose body cannot be read is not a success: nothing in it can be trusted.
    if (response.ok && text.trim() !== "" && parsed === undefined) {
      return { ok: false, status: response.status, retryable: true, reason: `${response.status} with a body that is not JSON` };
    }
    if (response.ok) return { ok: true, status: response.status, body: (parsed ?? {}) as T };
    const reason = `${response.status} ${scimDetail(parsed) ?? (text.slice(0, 200) || response.statusText)}`;
    if (response.status === 429)
      return { ok: false, status: 429, retryable: true, retryAfterMs: retryAfter(response.headers.get("Retry-After")), reason };
    if (response.status >= 500) return { ok: false, status: response.status, retryable: true, reason };
    return { ok: false, status: response.status, retryable: false, reason };
  }

  serviceProviderConfig() {
    return this.request<{ patch?: { supported?: boolean } }>("GET", "/ServiceProviderConfig");
  }

  findUserByUserName(userName: string) {
    return this.request<{ Resources?: Json[]; totalResults?: number }>(
      "GET",
      `/Users?filter=${encodeURIComponent(`userName eq ${JSON.stringify(userName)}`)}`,
    );
  }

  findGroupByName(displayName: string) {
    return this.request<{ Resources?: Json[] }>(
      "GET",
      `/Groups?filter=${encodeURIComponent(`displayName eq ${JSON.stringify(displayName)}`)}`,
    );
  }
}

/** Retry-After in seconds or as an HTTP date (RFC 9110), in milliseconds; undefined if absent. */
export function retryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(at - now, 0);
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function scimDetail(body: unknown): string | undefined {
  if (body && typeof body === "object" && "detail" in body && typeof (body as Json).detail === "string")
    return (body as Json).detail as string;
  return undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
