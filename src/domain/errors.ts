// Okta's error catalogue for the codes provisio emits (okta-reference.md §14.2).
// `{0}` in a summary is replaced by the detail given when the error is raised.
export const ERROR_CATALOG = {
  E0000001: { status: 400, summary: "Api validation failed: {0}" },
  E0000003: { status: 400, summary: "The request body was not well-formed." },
  E0000006: { status: 403, summary: "You do not have permission to perform the requested action" },
  E0000007: { status: 404, summary: "Not found: {0}" },
  E0000009: { status: 500, summary: "Internal Server Error" },
  E0000011: { status: 401, summary: "Invalid token provided" },
  E0000016: { status: 403, summary: "Activation failed because the user is already active" },
  E0000021: {
    status: 400,
    summary: "Bad request.  Accept and/or Content-Type headers likely do not match supported values.",
  },
  E0000022: { status: 405, summary: "The endpoint does not support the provided HTTP method" },
  E0000027: { status: 400, summary: "Group push bad request : {0}" },
  E0000029: { status: 400, summary: "Invalid paging request." },
  E0000031: { status: 400, summary: "Invalid search criteria." },
  E0000033: { status: 400, summary: "Bad request. Can't specify a search query and filter in the same request." },
  E0000038: { status: 403, summary: "This operation is not allowed in the user's current status." },
  E0000041: { status: 400, summary: "Credentials should not be set on this resource based on the scheme." },
  E0000046: { status: 403, summary: "Deactivate application for user forbidden." },
  E0000047: { status: 429, summary: "API call exceeded rate limit due to too many requests." },
  E0000056: { status: 403, summary: "Delete application forbidden." },
  E0000195: { status: 409, summary: "Api validation failed due to conflict: {0}" },
  E0000117: { status: 403, summary: "Cannot assign apps or update app profiles for an inactive user." },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export interface ErrorJson {
  code: ErrorCode;
  summary: string;
  causes: string[];
  /** Set when the HTTP status differs from the code's usual one (413/414/431 with E0000001). */
  status?: number;
}

/**
 * A failure the caller can act on, named by Okta's error code. Domain code throws it; the HTTP
 * layer turns it into Okta's envelope. It crosses Durable Object RPC as `ErrorJson`.
 */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly summary: string;
  readonly causes: string[];
  readonly #status: number | undefined;

  constructor(code: ErrorCode, detail = "", causes: string[] = [], status?: number) {
    const summary = ERROR_CATALOG[code].summary.replace("{0}", detail);
    super(summary);
    this.name = "DomainError";
    this.code = code;
    this.summary = summary;
    this.causes = causes;
    this.#status = status;
  }

  get status(): number {
    return this.#status ?? ERROR_CATALOG[this.code].status;
  }

  /** E0000001 "Api validation failed: {subject}" with one cause per problem. */
  static validation(subject: string, ...causes: string[]): DomainError {
    return new DomainError("E0000001", subject, causes);
  }

  /**
   * A request over one of provisio's size caps. Okta has no error code for these, so they are
   * E0000001 envelopes with the HTTP status that says what was too large (413, 414 or 431).
   */
  static tooLarge(status: 413 | 414 | 431, subject: string, cause: string): DomainError {
    return new DomainError("E0000001", subject, [cause], status);
  }

  /** E0000007 in Okta's own wording: "Not found: Resource not found: {id} ({Type})". */
  static notFound(id: string, type: string): DomainError {
    return new DomainError("E0000007", `Resource not found: ${id} (${type})`);
  }

  toJSON(): ErrorJson {
    return { code: this.code, summary: this.summary, causes: this.causes, ...(this.#status ? { status: this.#status } : {}) };
  }

  static fromJSON(json: ErrorJson): DomainError {
    const error = new DomainError(json.code, "", json.causes, json.status);
    (error as { summary: string }).summary = json.summary;
    error.message = json.summary;
    return error;
  }
}

/** D1 reports a lost race on a unique index as a constraint failure. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && /UNIQUE constraint failed/i.test(`${error.message} ${String(error.cause ?? "")}`);
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorJson };

/** Runs `fn`, turning a DomainError into a failed Result so it survives RPC intact. */
export async function toResult<T>(fn: () => Promise<T>): Promise<Result<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    if (error instanceof DomainError) return { ok: false, error: error.toJSON() };
    throw error;
  }
}

export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw DomainError.fromJSON(result.error);
}
