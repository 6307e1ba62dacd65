import { redactCredentials } from "./credential-redaction";

/**
 * Why a call to a downstream app failed, in words an administrator can act on. What the
 * downstream itself said is kept only when it is a SCIM error's `detail`, and then only after
 * credential-looking text is taken out (src/provisioning/credential-redaction.ts): a raw body
 * can echo the request's Authorization header, a password or a session token.
 */
export type FailureKind =
  "AUTH_REFUSED" | "NOT_FOUND" | "TLS" | "TIMEOUT" | "NOT_SCIM" | "RATE_LIMITED" | "SERVER_ERROR" | "REDIRECT" | "REJECTED" | "NETWORK";

const LABELS: Record<FailureKind, string> = {
  AUTH_REFUSED: "the app refused the credentials",
  NOT_FOUND: "not found (check the base URL)",
  TLS: "TLS handshake or certificate failed",
  TIMEOUT: "no answer in time",
  NOT_SCIM: "the answer is not SCIM",
  RATE_LIMITED: "rate limited",
  SERVER_ERROR: "server error",
  REDIRECT: "redirected (redirects are not followed)",
  REJECTED: "request refused",
  NETWORK: "connection failed",
};

export interface DownstreamFailure {
  kind: FailureKind;
  /** The HTTP status, or null when no answer came. */
  status: number | null;
  /** The SCIM error's `detail`, redacted; absent when the answer was not a SCIM error. */
  detail?: string;
  /** One line for task lists and the System Log: status, what it means, the redacted detail. */
  reason: string;
}

const SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";

/** The `detail` of a SCIM error body (RFC 7644 §3.12), if the body is one. */
export function scimErrorDetail(body: unknown): string | undefined {
  if (!body || typeof body !== "object" || Array.isArray(body)) return undefined;
  const { detail, schemas, status } = body as { detail?: unknown; schemas?: unknown; status?: unknown };
  if (typeof detail !== "string" || detail.trim() === "") return undefined;
  const declared = Array.isArray(schemas) && schemas.includes(SCIM_ERROR);
  // Some providers leave `schemas` out of errors but keep the SCIM status member.
  return declared || typeof status === "string" || typeof status === "number" ? detail : undefined;
}

export function kindOfStatus(status: number): FailureKind {
  if (status === 401 || status === 403) return "AUTH_REFUSED";
  // Cloudflare's own answers when the TLS handshake with the origin fails or its certificate is invalid.
  if (status === 525 || status === 526) return "TLS";
  if (status === 404 || status === 410) return "NOT_FOUND";
  if (status === 429) return "RATE_LIMITED";
  if (status >= 500) return "SERVER_ERROR";
  if (status >= 300 && status < 400) return "REDIRECT";
  return "REJECTED";
}

/** A failure answered with an HTTP status: classified by the status, with the SCIM detail if there is one. */
export function httpFailure(status: number, body: unknown, secrets: readonly (string | null | undefined)[] = []): DownstreamFailure {
  return failure(kindOfStatus(status), status, scimErrorDetail(body), secrets);
}

/** A failure without an answer: a timeout, a TLS problem or another network error. */
export function noAnswerFailure(error: unknown, timeoutMs: number): DownstreamFailure {
  const name = error instanceof Error ? error.name : "";
  const message = error instanceof Error ? error.message : String(error);
  if (name === "TimeoutError" || name === "AbortError") {
    return { kind: "TIMEOUT", status: null, reason: `no answer within ${timeoutMs} ms` };
  }
  const kind: FailureKind = /\b(tls|ssl|certificate|handshake|x509)\b/i.test(message) ? "TLS" : "NETWORK";
  // The runtime's message names the host and the problem; it is redacted like anything else.
  return { kind, status: null, reason: `${LABELS[kind]}: ${redactCredentials(message)}` };
}

/** An answer that should have been SCIM and is not (a success that is not JSON, a page that is not a SCIM resource). */
export function notScimFailure(status: number, what: string): DownstreamFailure {
  return { kind: "NOT_SCIM", status, reason: `${status} ${LABELS.NOT_SCIM} (${what})` };
}

function failure(kind: FailureKind, status: number, rawDetail: string | undefined, secrets: readonly (string | null | undefined)[]) {
  const detail = rawDetail === undefined ? undefined : redactCredentials(rawDetail, secrets);
  const reason = `${status} ${LABELS[kind]}${detail ? `: ${detail}` : ""}`;
  return { kind, status, ...(detail ? { detail } : {}), reason } satisfies DownstreamFailure;
}

export function failureLabel(kind: FailureKind): string {
  return LABELS[kind];
}
