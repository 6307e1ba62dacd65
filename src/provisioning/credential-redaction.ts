// What a downstream app says when it fails can carry credentials: an echoed Authorization
// header, a password it was sent, a session token or a JWT in a debug message. provisio repeats
// such text only after this has taken out everything that looks like one.

const REDACTED = "[redacted]";
/** The most of a downstream's own words provisio repeats. */
export const MAX_DETAIL_CHARS = 200;

// An Authorization header value: the scheme stays, what follows it goes (when it looks like a
// credential, so that "Basic authentication failed" keeps its words).
const AUTH_SCHEME = /\b(Bearer|Basic|SSWS|DPoP|Digest|Token|Negotiate|NTLM|HOBA|Mutual|AWS4-HMAC-SHA256)(\s+)([^\s,;"'<>]+)/gi;
// JSON Web Tokens (and JWS/JWE compact forms): dot-separated base64url segments.
const JWT = /\b[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]+){0,2}/g;
// Names under which credentials travel; their values go (key=value, key: value, "key": "value").
const SECRET_NAMES =
  "(?:password|passwd|passphrase|pwd|pass|secret|client[_-]?secret|token|access[_-]?token|refresh[_-]?token|id[_-]?token|api[_-]?key|apikey|x-api-key|auth|authorization|credentials?|cookie|set-cookie|session(?:[_-]?id)?|private[_-]?key|signature|sig|otp|pin)";
const QUOTED_PAIR = new RegExp(`("[^"]*${SECRET_NAMES}[^"]*"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, "gi");
const PLAIN_PAIR = new RegExp(`(\\b[\\w.-]*${SECRET_NAMES}[\\w.-]*\\s*[=:]\\s*)(?!\\[redacted\\])("[^"]*"|'[^']*'|[^\\s,;&"'<>]+)`, "gi");
// user:password@ in a URL.
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]+@/gi;
// Long opaque strings (API keys, hex or base64 tokens): 24+ characters mixing letters and digits.
const OPAQUE = /[A-Za-z0-9_+/=~.-]{24,}/g;

function looksLikeCredential(value: string): boolean {
  return value.length >= 6 && (/[0-9._~+/=-]/.test(value) || value.length >= 16);
}

function looksOpaque(run: string): boolean {
  return /[A-Za-z]/.test(run) && /[0-9]/.test(run) && !/^[a-z]+(?:[.-][a-z]+)*$/i.test(run);
}

/**
 * `text` with credential-looking parts replaced by "[redacted]", the connection's own secrets
 * (`known`) first, control characters dropped, and cut to MAX_DETAIL_CHARS. Errs on the side of
 * removing too much: a redacted id costs a support question, a leaked token costs an account.
 */
export function redactCredentials(text: string, known: readonly (string | null | undefined)[] = []): string {
  let out = text.replace(/[\u0000-\u001f\u007f]+/g, " ");
  for (const secret of known) if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
  out = out
    .replace(URL_USERINFO, `$1${REDACTED}@`)
    .replace(AUTH_SCHEME, (all, scheme: string, space: string, value: string) =>
      looksLikeCredential(value) ? `${scheme}${space}${REDACTED}` : all,
    )
    .replace(JWT, REDACTED)
    .replace(QUOTED_PAIR, `$1"${REDACTED}"`)
    .replace(PLAIN_PAIR, `$1${REDACTED}`)
    .replace(OPAQUE, (run) => (looksOpaque(run) ? REDACTED : run))
    .replace(/\s+/g, " ")
    .trim();
  return out.length > MAX_DETAIL_CHARS ? `${out.slice(0, MAX_DETAIL_CHARS - 1)}…` : out;
}
