/**
 * The token endpoint's errors, in OAuth's shape (RFC 6749 §5.2, RFC 9449 §8) rather than Okta's
 * E-envelope: `{"error": "invalid_client", "error_description": "..."}`. Failed client
 * authentication is 401 (as Okta answers it); every other refusal is 400.
 */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "invalid_scope"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_dpop_proof"
  | "use_dpop_nonce"
  | "slow_down"
  | "temporarily_unavailable";

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  invalid_scope: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_dpop_proof: 400,
  use_dpop_nonce: 400,
  slow_down: 429,
  temporarily_unavailable: 503,
};

export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly description: string;
  readonly headers: Record<string, string>;

  constructor(code: OAuthErrorCode, description: string, headers: Record<string, string> = {}) {
    super(`${code}: ${description}`);
    this.name = "OAuthError";
    this.code = code;
    this.description = description;
    this.headers = headers;
  }

  get status(): number {
    return STATUS[this.code];
  }

  toJSON() {
    return { error: this.code, error_description: this.description };
  }
}
