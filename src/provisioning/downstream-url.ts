import { DomainError } from "../domain/errors";

/**
 * Where provisioning and inline hooks may send requests. `public` (production): https to public
 * hosts only.
 * `local` (wrangler dev, tests): http and loopback or private addresses are allowed too, for a
 * SCIM app running on the developer's machine. Link-local addresses are refused in both. Set by
 * the DOWNSTREAM_ACCESS variable.
 *
 * Host names are checked as written; Workers cannot resolve DNS before fetching, so a public
 * name that resolves to a private address is not caught here (Cloudflare's network does not
 * route Workers' fetches to private addresses anyway).
 */
export type DownstreamAccess = "public" | "local";

export function downstreamAccess(value: string | undefined): DownstreamAccess {
  return value === "local" ? "local" : "public";
}

/** Refuses (400 E0000001, naming `field`) a URL provisio may not send requests to. */
export function checkDownstreamUrl(raw: string, access: DownstreamAccess, field = "baseUrl"): URL {
  const refuse = (problem: string) => DomainError.validation(field, `${field}: ${problem}`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse(`"${raw}" is not an absolute URL`);
  }
  if (url.username || url.password) throw refuse("credentials belong in the connection profile, not the URL");
  if (url.protocol !== "https:" && url.protocol !== "http:") throw refuse("only https URLs are allowed");
  const kind = hostKind(url.hostname);
  // Link-local addresses are cloud metadata services (169.254.169.254): never a target, not even locally.
  if (kind === "link-local") throw refuse("link-local addresses are not allowed as targets");
  if (access === "public") {
    if (url.protocol !== "https:") throw refuse("must use https");
    if (kind !== "public") throw refuse(`${kind} addresses are not allowed as targets`);
  } else if (url.protocol === "http:" && kind === "public") {
    throw refuse("plain http is only allowed for loopback or private development hosts");
  }
  return url;
}

type HostKind = "public" | "loopback" | "private" | "link-local";

export function hostKind(hostname: string): HostKind {
  // A trailing dot names the same host ("localhost." is localhost).
  const host = hostname
    .replace(/^\[|\]$/g, "")
    .toLowerCase()
    .replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost") || host === "::1" || host === "::" || host === "0.0.0.0") return "loopback";
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    if (a === 127 || a === 0) return "loopback";
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return "private";
    if (a === 169 && b === 254) return "link-local";
    return "public";
  }
  if (host.includes(":")) {
    if (host.startsWith("fe8") || host.startsWith("fe9") || host.startsWith("fea") || host.startsWith("feb")) return "link-local";
    if (host.startsWith("fc") || host.startsWith("fd")) return "private";
    // IPv4-mapped and NAT64 addresses stand for the IPv4 address inside them; the URL parser
    // writes ::ffff:127.0.0.1 as ::ffff:7f00:1.
    const mapped = /^(?:::ffff:|64:ff9b::)(?:([0-9a-f]{1,4}):([0-9a-f]{1,4})|(\d+\.\d+\.\d+\.\d+))$/.exec(host);
    if (mapped) {
      if (mapped[3]) return hostKind(mapped[3]);
      const [hi, lo] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
      return hostKind(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
    }
    return "public";
  }
  if (host.endsWith(".internal") || host.endsWith(".local") || host.endsWith(".lan")) return "private";
  return "public";
}
