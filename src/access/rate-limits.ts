/**
 * Rate limits as Okta applies them: a counter per API token and endpoint family that resets a
 * window (a minute) after the family's first request, not on wall-clock minutes. These are the
 * rules; the counters live in each token's AccessGate Durable Object.
 */

export const FAMILIES = ["apps", "users", "groups", "logs", "other"] as const;
export type Family = (typeof FAMILIES)[number];

/** Okta matches the longest prefix: /api/v1/apps and everything under it is "apps", and so on. */
export function familyOf(path: string): Family {
  const match = /^\/api\/v1\/(apps|users|groups|logs)(?:\/|$)/.exec(path);
  return match ? (match[1] as Family) : "other";
}

export interface LimitConfig {
  windowMs: number;
  /** Requests per window for each family; 0 turns rate limiting off. */
  perFamily: Record<Family, number>;
  /** Failed authentications per client address and window (0: unlimited). */
  authFailures: number;
  /** Failed-authentication System Log events org-wide per window (0: none are written). */
  authFailureLogs: number;
}

export const DEFAULT_LIMITS = {
  perMinute: 6000,
  windowSeconds: 60,
  authFailures: 30,
  authFailureLogs: 600,
} as const;

type LimitVars = Pick<
  Env,
  | "RATE_LIMIT_PER_MINUTE"
  | "RATE_LIMIT_OVERRIDES"
  | "RATE_LIMIT_WINDOW_SECONDS"
  | "AUTH_FAILURES_PER_MINUTE"
  | "AUTH_FAILURE_LOGS_PER_MINUTE"
>;

let cached: { key: string; config: LimitConfig } | undefined;

/** The limits the variables configure; a value that is not a whole number falls back to its default (and is reported once). */
export function limitsFrom(vars: Partial<LimitVars>): LimitConfig {
  const key = JSON.stringify([
    vars.RATE_LIMIT_PER_MINUTE,
    vars.RATE_LIMIT_OVERRIDES,
    vars.RATE_LIMIT_WINDOW_SECONDS,
    vars.AUTH_FAILURES_PER_MINUTE,
    vars.AUTH_FAILURE_LOGS_PER_MINUTE,
  ]);
  if (cached?.key === key) return cached.config;
  const problems: string[] = [];
  const count = (name: string, raw: string | undefined, fallback: number) => {
    if (raw === undefined || raw.trim() === "") return fallback;
    if (/^\d{1,9}$/.test(raw.trim())) return Number(raw.trim());
    problems.push(`${name}=${JSON.stringify(raw)} is not a whole number; using ${fallback}`);
    return fallback;
  };
  const base = count("RATE_LIMIT_PER_MINUTE", vars.RATE_LIMIT_PER_MINUTE, DEFAULT_LIMITS.perMinute);
  const perFamily = Object.fromEntries(FAMILIES.map((family) => [family, base])) as Record<Family, number>;
  for (const entry of (vars.RATE_LIMIT_OVERRIDES ?? "").split(",")) {
    if (entry.trim() === "") continue;
    const [name, value] = entry.split("=").map((part) => part.trim());
    if (!(FAMILIES as readonly string[]).includes(name)) {
      problems.push(`RATE_LIMIT_OVERRIDES: unknown family "${name}" (known: ${FAMILIES.join(", ")})`);
      continue;
    }
    perFamily[name as Family] = count(`RATE_LIMIT_OVERRIDES ${name}`, value, base);
  }
  const windowSeconds = Math.max(1, count("RATE_LIMIT_WINDOW_SECONDS", vars.RATE_LIMIT_WINDOW_SECONDS, DEFAULT_LIMITS.windowSeconds));
  const config: LimitConfig = {
    windowMs: windowSeconds * 1000,
    perFamily,
    authFailures: count("AUTH_FAILURES_PER_MINUTE", vars.AUTH_FAILURES_PER_MINUTE, DEFAULT_LIMITS.authFailures),
    authFailureLogs: count("AUTH_FAILURE_LOGS_PER_MINUTE", vars.AUTH_FAILURE_LOGS_PER_MINUTE, DEFAULT_LIMITS.authFailureLogs),
  };
  if (problems.length > 0) console.warn(JSON.stringify({ event: "config.rate_limits_invalid", problems }));
  cached = { key, config };
  return config;
}

export interface Bucket {
  limit: number;
  remaining: number;
  /** When the window ends, in epoch seconds (X-Rate-Limit-Reset). */
  reset: number;
  exceeded: boolean;
}

export interface Window {
  start: number;
  count: number;
}

/**
 * Counts one request against a fixed window that starts with the first request after the last
 * window ended. A refused request is not counted, so a client that waits for Reset gets a full window.
 */
export function take(windows: Map<string, Window>, key: string, limit: number, windowMs: number, now: number): Bucket {
  let window = windows.get(key);
  if (!window || now >= window.start + windowMs) {
    window = { start: now, count: 0 };
    windows.set(key, window);
  }
  const reset = Math.ceil((window.start + windowMs) / 1000);
  if (window.count >= limit) return { limit, remaining: 0, reset, exceeded: true };
  window.count += 1;
  return { limit, remaining: limit - window.count, reset, exceeded: false };
}

/**
 * The address failed authentications are counted by: Cloudflare's CF-Connecting-IP (set by the
 * edge, not by the client), with IPv6 addresses cut to their /64 so one host cannot rotate
 * through its own prefix.
 */
export function clientAddressKey(connectingIp: string | undefined): string {
  const ip = (connectingIp ?? "").trim().toLowerCase();
  if (ip === "") return "unknown";
  if (!ip.includes(":")) return ip;
  const [head] = ip.split("::");
  const groups = head.split(":").filter(Boolean);
  if (ip.includes("::") && groups.length < 4) return `${groups.join(":")}::/64`;
  return `${groups.slice(0, 4).join(":")}::/64`;
}
