import { Hono, type Context } from "hono";
import { z } from "zod";
import type { UserRow } from "../db/schema";
import { tokenWithOwner } from "../db/queries/api-tokens";
import { findUserByIdOrLogin, getUser } from "../db/queries/users";
import { DomainError } from "../domain/errors";
import { requireScope } from "../http/auth";
import { auditOf } from "../http/audit";
import type { AppEnv } from "../http/context";
import { baseUrl } from "../http/pagination";
import { queryParams } from "../http/validation";
import { appLinksOf } from "../services/app-links";
import { clearUserSessions } from "../services/web-sessions";
import { booleanParam } from "../wire/common";

/**
 * `{id}` as Okta reads it on these paths: an id or login, or `me`, the user the calling API
 * token is recorded against (404 for a token recorded against no user, or an OAuth service app).
 */
async function requireUserOrMe(c: Context<AppEnv>, idOrLogin: string): Promise<UserRow> {
  const db = c.get("db");
  if (idOrLogin === "me") {
    const principal = c.get("principal");
    const owner = principal.kind === "ssws" ? (await tokenWithOwner(db, principal.tokenId))?.userId : undefined;
    const user = owner ? await getUser(db, owner) : undefined;
    if (!user) throw DomainError.notFound("me", "User");
    return user;
  }
  const user = await findUserByIdOrLogin(db, idOrLogin);
  if (!user) throw DomainError.notFound(idOrLogin, "User");
  return user;
}

/** Okta's UserResources (appLinks) and UserSessions (revokeUserSessions) under /api/v1/users/{id}. */
export const userResourcesRoutes = new Hono<AppEnv>()
  .get("/:idOrLogin/appLinks", requireScope("okta.users.read"), async (c) => {
    const user = await requireUserOrMe(c, c.req.param("idOrLogin"));
    return c.json((await appLinksOf(c.get("db"), user.id, baseUrl(c))).map(({ link }) => link));
  })
  // The user's My Apps sessions end at once, and so do console sessions of API tokens recorded against them.
  .delete(
    "/:idOrLogin/sessions",
    requireScope("okta.users.manage"),
    queryParams(z.object({ oauthTokens: booleanParam(false), forgetDevices: booleanParam(true) })),
    async (c) => {
      await clearUserSessions(c.get("db"), await requireUserOrMe(c, c.req.param("idOrLogin")), await auditOf(c));
      return c.body(null, 204);
    },
  );
