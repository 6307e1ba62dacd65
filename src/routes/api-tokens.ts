import { Hono } from "hono";
import { findTokenByHash, listUsableTokens } from "../db/queries/api-tokens";
import { DomainError } from "../domain/errors";
import { requireScope } from "../http/auth";
import { auditOf } from "../http/audit";
import type { AppEnv } from "../http/context";
import { baseUrl } from "../http/pagination";
import { jsonBody } from "../http/validation";
import { mintToken, requireToken, revokeToken, updateToken } from "../services/api-tokens";
import { endTokenSessions } from "../services/web-sessions";
import { apiTokenJson, createApiTokenSchema, updateApiTokenSchema } from "../wire/api-token";

/** /api/v1/api-tokens: Okta's API Tokens API, plus minting (Okta mints only in its Admin Console). */
export const apiTokensRoutes = new Hono<AppEnv>()
  .get("/", requireScope("okta.apiTokens.read"), async (c) => {
    const base = baseUrl(c);
    return c.json((await listUsableTokens(c.get("db"), new Date())).map((row) => apiTokenJson(row, base)));
  })
  .post("/", requireScope("okta.apiTokens.manage"), jsonBody(createApiTokenSchema, "apiToken"), async (c) => {
    const { row, value } = await mintToken(c.get("db"), c.req.valid("json"), await auditOf(c));
    // The only time the value is ever sent: it is not stored, so it cannot be shown again.
    c.header("Cache-Control", "no-store");
    return c.json({ ...apiTokenJson(row, baseUrl(c)), token: value }, 201);
  })
  .delete("/current", requireScope("okta.apiTokens.manage"), async (c) => {
    const principal = c.get("principal");
    // Okta allows this with an API token only.
    if (principal.kind !== "ssws") throw new DomainError("E0000006");
    const db = c.get("db");
    const row = await findTokenByHash(db, principal.tokenHash);
    if (!row) throw DomainError.notFound("current", "ApiToken");
    await revokeToken(c.env, db, row, await auditOf(c));
    return c.body(null, 204);
  })
  // provisio extension: ends every admin-console session signed in with the token ("current":
  // the calling one), in every browser. Okta has no console sessions per API token.
  .delete("/:apiTokenId/sessions", requireScope("okta.apiTokens.manage"), async (c) => {
    const db = c.get("db");
    const id = c.req.param("apiTokenId");
    let row;
    if (id === "current") {
      const principal = c.get("principal");
      if (principal.kind !== "ssws") throw new DomainError("E0000006");
      row = await findTokenByHash(db, principal.tokenHash);
      if (!row) throw DomainError.notFound("current", "ApiToken");
    } else {
      row = await requireToken(db, id);
    }
    await endTokenSessions(db, row, await auditOf(c));
    return c.body(null, 204);
  })
  .get("/:apiTokenId", requireScope("okta.apiTokens.read"), async (c) => {
    return c.json(apiTokenJson(await requireToken(c.get("db"), c.req.param("apiTokenId")), baseUrl(c)));
  })
  .put("/:apiTokenId", requireScope("okta.apiTokens.manage"), jsonBody(updateApiTokenSchema, "apiToken"), async (c) => {
    const db = c.get("db");
    const row = await requireToken(db, c.req.param("apiTokenId"));
    const updated = await updateToken(db, row, c.req.valid("json").name, await auditOf(c));
    return c.json(apiTokenJson(updated, baseUrl(c)));
  })
  .delete("/:apiTokenId", requireScope("okta.apiTokens.manage"), async (c) => {
    const db = c.get("db");
    await revokeToken(c.env, db, await requireToken(db, c.req.param("apiTokenId")), await auditOf(c));
    return c.body(null, 204);
  });
