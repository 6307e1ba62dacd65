import { Scalar } from "@scalar/hono-api-reference";
import { Hono } from "hono";
import { adminRoutes } from "./admin/routes";
import { logoSvg } from "./catalog/logo";
import { DomainError } from "./domain/errors";
import { launchRoutes, myAppsRoutes } from "./my-apps/routes";
import { openApiDocument } from "./openapi/document";
import { authenticate } from "./http/auth";
import { dbProvider, type AppEnv } from "./http/context";
import { handleError } from "./http/errors";
import { normalizedPath } from "./http/normalize-path";
import { notFoundHandler } from "./http/not-found";
import { requestCaps } from "./http/request-caps";
import { requestId } from "./http/request-id";
import { jsonBodyGuard } from "./http/validation";
import { appGrantsRoutes } from "./routes/app-grants";
import { appGroupsRoutes } from "./routes/app-groups";
import { appUsersRoutes } from "./routes/app-users";
import { clientSecretsRoutes } from "./routes/client-secrets";
import { apiTokensRoutes } from "./routes/api-tokens";
import { appsRoutes } from "./routes/apps";
import { groupPushRoutes } from "./routes/group-push";
import { appImportsRoutes, orgImportRoutes } from "./routes/imports";
import { groupsRoutes } from "./routes/groups";
import { inlineHooksRoutes } from "./routes/inline-hooks";
import { logsRoutes } from "./routes/logs";
import { mappingsRoutes } from "./routes/mappings";
import { authorizationServerMetadata, oauth2Routes } from "./routes/oauth2";
import { provisioningRoutes } from "./routes/provisioning";
import { schemasRoutes } from "./routes/schemas";
import { usersRoutes } from "./routes/users";
import { userResourcesRoutes } from "./routes/user-resources";
import { catalogRoutes } from "./routes/catalog";

// Built once per isolate; bindings are read from c.env on each request.
export const app = new Hono<AppEnv>({ getPath: normalizedPath });

app.use("*", requestId);

// The API description and its interactive reference (public, like Okta's developer docs).
app.get("/openapi.json", (c) => c.json(openApiDocument(app.routes)));
app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "provisio API" }));
// Okta's org authorization server, for OAuth 2.0 service apps: /oauth2/v1/token, revoke, introspect and keys (public; errors in OAuth's shape).
app.route("/oauth2", oauth2Routes);
app.get("/.well-known/oauth-authorization-server", (c) => c.json(authorizationServerMetadata(c)));
// App logos (Okta's _links.logo, AssignedAppLink.logoUrl): public, like Okta's logo assets.
app.get("/logos/:file", (c) => {
  const key = /^([a-z0-9_]{1,64})\.svg$/.exec(c.req.param("file"))?.[1];
  const svg = key ? logoSvg(key) : undefined;
  if (!svg) throw DomainError.notFound(c.req.param("file"), "Logo");
  return c.body(svg, 200, {
    "Content-Type": "image/svg+xml",
    "Cache-Control": "public, max-age=3600",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
  });
});
// My Apps: end users sign in with their Okta login and password and open their apps.
app.route("/my-apps", myAppsRoutes);
app.route("/home", launchRoutes);
// Authentication first, so every /api answer (a refusal for size included) carries rate-limit headers.
app.use("/api/*", authenticate, requestCaps, dbProvider, jsonBodyGuard);
// The admin console: pages over this same API, called in-process with the signed-in token.
app.route(
  "/admin",
  adminRoutes((request, env, ctx) => app.fetch(request, env, ctx)),
);

app.route("/api/v1/users", usersRoutes);
app.route("/api/v1/users", userResourcesRoutes);
app.route("/api/v1/groups", groupsRoutes);
app.route("/api/v1/apps", appsRoutes);
app.route("/api/v1/apps", appUsersRoutes);
app.route("/api/v1/apps", appGroupsRoutes);
app.route("/api/v1/apps", appImportsRoutes);
app.route("/api/v1/apps", provisioningRoutes);
app.route("/api/v1/apps", groupPushRoutes);
app.route("/api/v1/apps", appGrantsRoutes);
app.route("/api/v1/apps", clientSecretsRoutes);
app.route("/api/v1/meta/schemas", schemasRoutes);
app.route("/api/v1/mappings", mappingsRoutes);
app.route("/api/v1", orgImportRoutes);
app.route("/api/v1/logs", logsRoutes);
app.route("/api/v1/inlineHooks", inlineHooksRoutes);
app.route("/api/v1/api-tokens", apiTokensRoutes);
app.route("/api/v1/catalog", catalogRoutes);

app.notFound(notFoundHandler(app));
app.onError(handleError);
