/**
 * How long a failed downstream call waits before its next attempt (attempt = 1 for the first
 * retry). Okta's documented handling of SCIM 429s: the first retry after Retry-After (else 5
 * minutes), doubling after that. Server errors and network failures back off exponentially
 * from `baseMs` with jitter (between half and all of the step) so that many tasks failing
 * together do not retry together. Both are capped at an hour.
 */
const HOUR = 60 * 60 * 1000;
const FIVE_MINUTES = 5 * 60 * 1000;

export function retryDelay(
  error: { status: number | null; retryAfterMs?: number },
  attempt: number,
  options: { baseMs: number; default429Ms?: number; random?: () => number } = { baseMs: 2_000 },
): number {
  const step = 2 ** Math.max(attempt - 1, 0);
  if (error.status === 429) return Math.min((error.retryAfterMs ?? options.default429Ms ?? FIVE_MINUTES) * step, HOUR);
  const random = options.random ?? Math.random;
  const ceiling = Math.min(options.baseMs * step, HOUR);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
