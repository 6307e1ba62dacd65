import type { Context, Hono } from "hono";
import { DomainError } from "../domain/errors";
import type { AppEnv } from "./context";
import { errorResponse } from "./errors";

type RoutePattern = { method: string; regex: RegExp };

/**
 * Answers requests no route handled: 405 E0000022 when the path exists for another method
 * (with an Allow header), otherwise 404 E0000007, both in Okta's envelope.
 */
export function notFoundHandler(app: Hono<AppEnv>) {
  let patterns: RoutePattern[] | undefined;
  return (c: Context<AppEnv>): Response => {
    patterns ??= compileRoutes(app);
    const path = c.req.path;
    const allowed = [...new Set(patterns.filter((p) => p.regex.test(path)).map((p) => p.method))];
    if (allowed.length > 0) {
      c.header("Allow", allowed.join(", "));
      return errorResponse(c, new DomainError("E0000022"));
    }
    return errorResponse(c, new DomainError("E0000007", `Resource not found: ${path} (URL)`));
  };
}

function compileRoutes(app: Hono<AppEnv>): RoutePattern[] {
  // Middleware is registered under method ALL; only real endpoints say which methods exist.
  return app.routes.filter((route) => route.method !== "ALL").map((route) => ({ method: route.method, regex: pathRegex(route.path) }));
}

function pathRegex(path: string): RegExp {
  const source = path
    .split("/")
    .map((segment) => {
      if (segment.startsWith(":")) return "[^/]+";
      if (segment === "*") return ".*";
      return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return new RegExp(`^${source}/?$`);
}
