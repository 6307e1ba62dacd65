import { httpFailure, noAnswerFailure, notScimFailure, type FailureKind } from "./downstream-failure";

// A small SCIM 2.0 client (RFC 7644) that classifies every outcome the way the task queue
// needs it: done, retry later (429 with its Retry-After, 5xx, network errors, timeouts) or
// failed for good (other 4xx). A failure's reason never carries the downstream's body: only
// its status, what that means, and a SCIM error's `detail` with credentials taken out.

type Json = Record<string, unknown>;

export type ScimFailure = {
  ok: false;
  status: number | null;
  retryable: boolean;
  retryAfterMs?: number;
  kind: FailureKind;
  reason: string;
};

export type ScimOutcome<T = Json> = { ok: true; status: number; body: T } | ScimFailure;

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
      const { kind, reason } = noAnswerFailure(error, this.connection.timeoutMs);
      return { ok: false, status: null, retryable: true, kind, reason };
    }
    const parsed = parseJson(text);
    // A success whose body cannot be read is not a success: nothing in it can be trusted.
    if (response.ok && text.trim() !== "" && parsed === undefined) {
      const { kind, reason } = notScimFailure(response.status, "a body that is not JSON");
      return { ok: false, status: response.status, retryable: true, kind, reason };
    }
    if (response.ok) return { ok: true, status: response.status, body: (parsed ?? {}) as T };
    const { kind, reason } = httpFailure(response.status, parsed, secretsIn(this.connection.authorization));
    const failure = { ok: false as const, status: response.status, kind, reason };
    if (response.status === 429) return { ...failure, retryable: true, retryAfterMs: retryAfter(response.headers.get("Retry-After")) };
    return { ...failure, retryable: response.status >= 500 };
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

/** The credentials an Authorization header carries, so that a downstream echoing them is redacted by value too. */
function secretsIn(authorization: string): string[] {
  const [scheme, value = ""] = authorization.split(/\s+/, 2);
  if (!/^basic$/i.test(scheme)) return [value];
  try {
    const decoded = atob(value);
    return [value, decoded, decoded.slice(decoded.indexOf(":") + 1)];
  } catch {
    return [value];
  }
}
