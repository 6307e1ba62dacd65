import { getPath } from "hono/utils/url";

/**
 * The Okta SDK joins a trailing-slash orgUrl with "/api/v1/..." and sends "//api/v1/...";
 * Okta tolerates that, so repeated slashes collapse and a trailing slash is dropped before routing.
 */
export function normalizedPath(request: Request): string {
  const path = getPath(request).replace(/\/{2,}/g, "/");
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}
