import { Hono } from "hono";
import { z } from "zod";
import type { DB } from "../db/client";
import type { InlineHookRow } from "../db/schema";
import { deleteInlineHook, getInlineHook, listInlineHooks, saveInlineHook } from "../db/queries/inline-hooks";
import { seal } from "../crypto/secret-box";
import { DomainError } from "../domain/errors";
import { randomChars } from "../domain/ids";
import { requireScope } from "../http/auth";
import type { AppEnv } from "../http/context";
import { baseUrl } from "../http/pagination";
import { jsonBody, queryParams } from "../http/validation";
import { IMPORT_HOOK_TYPE } from "../imports/inline-hook";
import { checkDownstreamUrl, downstreamAccess } from "../provisioning/downstream-url";
import { iso } from "../wire/common";

// Okta's InlineHook object with an HTTP channel; only the import transform type is run here.
const hookSchema = z.object({
  name: z.string().min(1).max(255),
  type: z.literal(IMPORT_HOOK_TYPE),
  version: z.string().default("1.0.0"),
  channel: z.object({
    type: z.literal("HTTP"),
    version: z.string().default("1.0.0"),
    config: z.object({
      uri: z.string().min(1).max(2048),
      method: z.literal("POST").default("POST"),
      headers: z
        .array(z.object({ key: z.string().min(1).max(256), value: z.string().max(4096) }))
        .max(20)
        .default([]),
      authScheme: z
        .object({ type: z.literal("HEADER"), key: z.string().min(1).max(256), value: z.string().min(1).max(4096).optional() })
        .optional(),
    }),
  }),
});

async function requireHook(db: DB, id: string): Promise<InlineHookRow> {
  const hook = await getInlineHook(db, id);
  if (!hook) throw DomainError.notFound(id, "InlineHook");
  return hook;
}

function hookJson(row: InlineHookRow, base: string) {
  const self = `${base}/api/v1/inlineHooks/${row.id}`;
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    version: row.version,
    status: row.status,
    created: iso(row.created),
    lastUpdated: iso(row.lastUpdated),
    channel: {
      type: "HTTP",
      version: "1.0.0",
      // The auth header's value is write-only.
      config: {
        uri: row.uri,
        method: "POST",
        headers: row.headers,
        ...(row.authKey ? { authScheme: { type: "HEADER", key: row.authKey } } : {}),
      },
    },
    _links: {
      self: { href: self },
      [row.status === "ACTIVE" ? "deactivate" : "activate"]: {
        href: `${self}/lifecycle/${row.status === "ACTIVE" ? "deactivate" : "activate"}`,
        hints: { allow: ["POST"] },
      },
    },
  };
}

async function toRow(env: Env, input: z.infer<typeof hookSchema>, previous?: InlineHookRow): Promise<InlineHookRow> {
  const { config } = input.channel;
  checkDownstreamUrl(config.uri, downstreamAccess(env.DOWNSTREAM_ACCESS), "channel.config.uri");
  const now = new Date();
  const authValue = config.authScheme?.value;
  return {
    id: previous?.id ?? `cal${randomChars(17)}`,
    name: input.name,
    type: input.type,
    version: input.version,
    status: previous?.status ?? "ACTIVE",
    uri: config.uri,
    headers: config.headers,
    authKey: config.authScheme?.key ?? null,
    authBox: authValue ? await seal(env.CREDENTIALS_KEY, authValue) : config.authScheme ? (previous?.authBox ?? null) : null,
    created: previous?.created ?? now,
    lastUpdated: now,
  };
}

/** /api/v1/inlineHooks: Okta's inline hook management (import transform hooks). */
export const inlineHooksRoutes = new Hono<AppEnv>()
  .post("/", requireScope("okta.inlineHooks.manage"), jsonBody(hookSchema, "inlineHook"), async (c) => {
    const row = await toRow(c.env, c.req.valid("json"));
    await saveInlineHook(c.get("db"), row);
    return c.json(hookJson(row, baseUrl(c)));
  })
  .get("/", requireScope("okta.inlineHooks.read"), queryParams(z.object({ type: z.string().optional() })), async (c) => {
    const base = baseUrl(c);
    return c.json((await listInlineHooks(c.get("db"), c.req.valid("query").type)).map((row) => hookJson(row, base)));
  })
  .get("/:hookId", requireScope("okta.inlineHooks.read"), async (c) => {
    return c.json(hookJson(await requireHook(c.get("db"), c.req.param("hookId")), baseUrl(c)));
  })
  .put("/:hookId", requireScope("okta.inlineHooks.manage"), jsonBody(hookSchema, "inlineHook"), async (c) => {
    const db = c.get("db");
    const row = await toRow(c.env, c.req.valid("json"), await requireHook(db, c.req.param("hookId")));
    await saveInlineHook(db, row);
    return c.json(hookJson(row, baseUrl(c)));
  })
  .delete("/:hookId", requireScope("okta.inlineHooks.manage"), async (c) => {
    const db = c.get("db");
    const hook = await requireHook(db, c.req.param("hookId"));
    if (hook.status === "ACTIVE") throw DomainError.validation("status", "Deactivate the inline hook before deleting it.");
    await deleteInlineHook(db, hook.id);
    return c.body(null, 204);
  })
  .post("/:hookId/lifecycle/activate", requireScope("okta.inlineHooks.manage"), async (c) => {
    const db = c.get("db");
    const hook = { ...(await requireHook(db, c.req.param("hookId"))), status: "ACTIVE" as const, lastUpdated: new Date() };
    await saveInlineHook(db, hook);
    return c.json(hookJson(hook, baseUrl(c)));
  })
  .post("/:hookId/lifecycle/deactivate", requireScope("okta.inlineHooks.manage"), async (c) => {
    const db = c.get("db");
    const hook = { ...(await requireHook(db, c.req.param("hookId"))), status: "INACTIVE" as const, lastUpdated: new Date() };
    await saveInlineHook(db, hook);
    return c.json(hookJson(hook, baseUrl(c)));
  });
