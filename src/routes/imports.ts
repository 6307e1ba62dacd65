import { Hono } from "hono";
import { z } from "zod";
import { updateProvisioning } from "../db/queries/provisioning";
import { appsWithWaitingSessions, getOrgSetting, getSession, listItems, listSessions, putOrgSetting } from "../db/queries/imports";
import { appCoordinator } from "../coordinator/client";
import { ROADBLOCK_KEY, SAFEGUARDS_KEY, type Roadblock } from "../coordinator/imports/runner";
import { cursorNumber, decodeCursor } from "../domain/cursor";
import { DomainError } from "../domain/errors";
import { DEFAULT_INBOUND, inboundPatchSchema, mergeInbound } from "../imports/inbound-settings";
import { DEFAULT_SAFEGUARDS, safeguardPatchSchema, type SafeguardSettings } from "../imports/safeguards";
import { requireScope } from "../http/auth";
import { auditOf } from "../http/audit";
import type { AppEnv } from "../http/context";
import { baseUrl, limitParam, respondWithPage } from "../http/pagination";
import { jsonBody, queryParams } from "../http/validation";
import { requireApp } from "../services/lookups";
import { requireOffered, requireProvisioning } from "../services/provisioning";
import { confirmImportSchema, ITEM_RESULTS, itemJson, sessionJson, startImportSchema } from "../wire/imports";
import { inboundFeatureJson } from "../wire/provisioning";

/** /api/v1/apps/{appId}/imports and the INBOUND_PROVISIONING feature ("To Okta"). */
export const appImportsRoutes = new Hono<AppEnv>()
  .get("/:appId/features/INBOUND_PROVISIONING", requireScope("okta.apps.read"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    const row = await requireProvisioning(db, app);
    return c.json(inboundFeatureJson(app.id, baseUrl(c), row.inbound ?? DEFAULT_INBOUND, row.connectionStatus));
  })
  .put("/:appId/features/INBOUND_PROVISIONING", requireScope("okta.apps.manage"), jsonBody(inboundPatchSchema, "feature"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    const row = await requireProvisioning(db, app);
    await requireOffered(db, app, "toOkta");
    const inbound = mergeInbound(row.inbound ?? DEFAULT_INBOUND, c.req.valid("json"));
    const scheduleTurnedOn =
      inbound.importSettings.schedule.status === "ENABLED" && row.inbound?.importSettings.schedule.status !== "ENABLED";
    const now = Date.now();
    await updateProvisioning(db, app.id, {
      inbound,
      // A schedule counts from when it was switched on: its first run is the next cron time.
      ...(scheduleTurnedOn ? { lastFullImportAt: now, lastIncrementalImportAt: now } : {}),
      lastUpdated: new Date(),
    });
    return c.json(inboundFeatureJson(app.id, baseUrl(c), inbound, row.connectionStatus));
  })
  .post("/:appId/imports", requireScope("okta.apps.manage"), jsonBody(startImportSchema, "import"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    await requireProvisioning(db, app);
    await requireOffered(db, app, "toOkta");
    const { type, dryRun } = c.req.valid("json");
    const session = await appCoordinator(c.env, app.id, await auditOf(c)).startImport({ type, dryRun, trigger: "MANUAL" });
    return c.json(sessionJson(session, baseUrl(c)), 202);
  })
  .get(
    "/:appId/imports",
    requireScope("okta.apps.read"),
    queryParams(z.object({ after: z.string().optional(), limit: limitParam(20, 200) })),
    async (c) => {
      const db = c.get("db");
      const app = await requireApp(db, c.req.param("appId"));
      const { after, limit } = c.req.valid("query");
      const key = after ? decodeCursor(after, 2) : undefined;
      const rows = await listSessions(db, app.id, key ? { created: cursorNumber(key[0]), id: String(key[1]) } : undefined, limit);
      const items = respondWithPage(c, rows, limit, (row) => [row.created.getTime(), row.id]);
      const base = baseUrl(c);
      return c.json(items.map((row) => sessionJson(row, base)));
    },
  )
  .get("/:appId/imports/:sessionId", requireScope("okta.apps.read"), async (c) => {
    const db = c.get("db");
    const session = await getSession(db, c.req.param("appId"), c.req.param("sessionId"));
    if (!session) throw DomainError.notFound(c.req.param("sessionId"), "ImportSession");
    return c.json(sessionJson(session, baseUrl(c)));
  })
  .get(
    "/:appId/imports/:sessionId/items",
    requireScope("okta.apps.read"),
    queryParams(z.object({ result: z.enum(ITEM_RESULTS).optional(), after: z.string().optional(), limit: limitParam(200, 1000) })),
    async (c) => {
      const db = c.get("db");
      const session = await getSession(db, c.req.param("appId"), c.req.param("sessionId"));
      if (!session) throw DomainError.notFound(c.req.param("sessionId"), "ImportSession");
      const { result, after, limit } = c.req.valid("query");
      const afterSeq = after ? cursorNumber(decodeCursor(after, 1)[0]) : 0;
      const rows = await listItems(db, session.id, result, afterSeq, limit);
      return c.json(respondWithPage(c, rows, limit, (row) => [row.seq]).map(itemJson));
    },
  )
  .post(
    "/:appId/imports/:sessionId/confirm",
    requireScope("okta.apps.manage"),
    jsonBody(confirmImportSchema, "confirmation"),
    async (c) => {
      const { itemIds, all, activate } = c.req.valid("json");
      const session = await appCoordinator(c.env, c.req.param("appId"), await auditOf(c)).confirmImport(c.req.param("sessionId"), {
        seqs: all ? "all" : (itemIds ?? []).map(Number),
        activate,
      });
      return c.json(sessionJson(session, baseUrl(c)));
    },
  )
  .post("/:appId/imports/:sessionId/cancel", requireScope("okta.apps.manage"), async (c) => {
    const session = await appCoordinator(c.env, c.req.param("appId"), await auditOf(c)).cancelImport(c.req.param("sessionId"));
    await wakeWaitingImports(c.env, c.get("db"));
    return c.json(sessionJson(session, baseUrl(c)));
  });

/** Once no roadblock remains, the imports waiting behind it go on. */
async function wakeWaitingImports(env: Env, db: Parameters<typeof appsWithWaitingSessions>[0]): Promise<void> {
  if (await getOrgSetting(db, ROADBLOCK_KEY)) return;
  const appIds = await appsWithWaitingSessions(db);
  await Promise.all(appIds.map((appId) => appCoordinator(env, appId).wakeImports()));
}

/** Org-wide: /api/v1/import-safeguards and /api/v1/import-roadblock (provisio extensions). */
export const orgImportRoutes = new Hono<AppEnv>()
  .get("/import-safeguards", requireScope("okta.apps.read"), async (c) => {
    return c.json((await getOrgSetting<SafeguardSettings>(c.get("db"), SAFEGUARDS_KEY)) ?? DEFAULT_SAFEGUARDS);
  })
  .put("/import-safeguards", requireScope("okta.apps.manage"), jsonBody(safeguardPatchSchema, "safeguards"), async (c) => {
    const db = c.get("db");
    const current = (await getOrgSetting<SafeguardSettings>(db, SAFEGUARDS_KEY)) ?? DEFAULT_SAFEGUARDS;
    const patch = c.req.valid("json");
    const next: SafeguardSettings = { app: { ...current.app, ...patch.app }, org: { ...current.org, ...patch.org } };
    await putOrgSetting(db, SAFEGUARDS_KEY, next);
    return c.json(next);
  })
  .get("/import-roadblock", requireScope("okta.apps.read"), async (c) => {
    const roadblock = await getOrgSetting<Roadblock>(c.get("db"), ROADBLOCK_KEY);
    if (!roadblock) throw DomainError.notFound("import-roadblock", "ImportRoadblock");
    return c.json({ ...roadblock, importsPaused: true });
  })
  .post("/import-roadblock/resume", requireScope("okta.apps.manage"), async (c) => {
    const db = c.get("db");
    const roadblock = await getOrgSetting<Roadblock>(db, ROADBLOCK_KEY);
    if (!roadblock) throw DomainError.notFound("import-roadblock", "ImportRoadblock");
    // The coordinator applies the paused import and hands the roadblock to the next paused one, if any.
    const session = await appCoordinator(c.env, roadblock.appId, await auditOf(c)).resumeImport(roadblock.sessionId);
    await wakeWaitingImports(c.env, db);
    return c.json(sessionJson(session, baseUrl(c)));
  })
  .post("/import-roadblock/cancel", requireScope("okta.apps.manage"), async (c) => {
    const db = c.get("db");
    const roadblock = await getOrgSetting<Roadblock>(db, ROADBLOCK_KEY);
    if (!roadblock) throw DomainError.notFound("import-roadblock", "ImportRoadblock");
    const session = await appCoordinator(c.env, roadblock.appId, await auditOf(c)).cancelImport(roadblock.sessionId);
    await wakeWaitingImports(c.env, db);
    return c.json(sessionJson(session, baseUrl(c)));
  });
