import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DomainError } from "../domain/errors";
import type { AppEnv } from "./context";
import { REQUEST_ID_HEADER } from "./request-id";

/** Okta's error envelope (okta-reference.md §14.1); errorCauses is always an array. */
export function errorResponse(c: Context<AppEnv>, error: DomainError): Response {
  const requestId = c.get("requestId") ?? "";
  if (requestId) c.header(REQUEST_ID_HEADER, requestId);
  return c.json(
    {
      errorCode: error.code,
      errorSummary: error.summary,
      errorLink: error.code,
      errorId: requestId,
      errorCauses: error.causes.map((errorSummary) => ({ errorSummary })),
    },
    error.status as ContentfulStatusCode,
  );
}

/** The one funnel every thrown error goes through (mounted as app.onError). */
export function handleError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof DomainError) return errorResponse(c, err);
  if (err instanceof HTTPException) return errorResponse(c, fromHttpException(err));
  // Query errors quote their bound parameters (hashes, sealed credentials): those are cut.
  const message = err.message.replace(/params:[\s\S]*/, "params: [redacted]");
  console.error(
    JSON.stringify({
      requestId: c.get("requestId"),
      error: err.name,
      message,
      cause: err.cause instanceof Error ? err.cause.message : undefined,
    }),
  );
  return errorResponse(c, new DomainError("E0000009"));
}

function fromHttpException(err: HTTPException): DomainError {
  if (err.status === 401) return new DomainError("E0000011");
  if (err.status === 403) return new DomainError("E0000006");
  if (err.status === 404) return new DomainError("E0000007", err.message || "Resource not found");
  if (err.status === 405) return new DomainError("E0000022");
  if (err.status === 400 && /json/i.test(err.message)) return new DomainError("E0000003");
  if (err.status >= 400 && err.status < 500) return new DomainError("E0000001", err.message || "request", []);
  return new DomainError("E0000009");
}
