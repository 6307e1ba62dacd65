import { Hono, type Context } from "hono";
import { z } from "zod";
import { listAppUsers } from "../db/queries/app-users";
import { appCoordinator } from "../coordinator/client";
import type { DeactivationHold, TaskRow } from "../coordinator/provisioning-store";
import { DomainError } from "../domain/errors";
import { requireScope } from "../http/auth";
import { auditOf } from "../http/audit";
import type { AppEnv } from "../http/context";
import { requireApp } from "../services/lookups";
import { baseUrl, limitParam, respondWithPage, setLinkHeaders } from "../http/pagination";
import { pendingPasswordsOfApp, type PendingPasswordView } from "../services/pending-passwords";
import { afterId } from "../http/search-params";
import { jsonBody, queryParams } from "../http/validation";
import {
  connectionUsername,
  requireProvisioning,
  saveConnection,
  setConnectionStatus,
  testConnection,
  updateUserProvisioning,
} from "../services/provisioning";
import { appUserJson } from "../wire/app-user";
import { iso } from "../wire/common";
import { DEFAULT_INBOUND } from "../imports/inbound-settings";
import {
  connectionJson,
  connectionRequestSchema,
  featureUpdateSchema,
  inboundFeatureJson,
  userProvisioningFeatureJson,
} from "../wire/provisioning";

function taskJson(task: TaskRow, appId: string, base: string) {
  const [kind, id] = [task.subject.slice(0, task.subject.indexOf(":")), task.subject.slice(task.subject.indexOf(":") + 1)];
  return {
    id: task.id,
    type: kind === "user" ? "USER_SYNC" : kind === "group" ? "GROUP_PUSH" : "GROUP_DELETE",
    ...(kind === "user" ? { userId: id } : kind === "group" ? { mappingId: id } : { targetGroupId: id }),
    status: task.status,
    attempts: task.attempts,
    nextAttemptAt: task.status === "PENDING" ? new Date(task.next_attempt_at).toISOString() : null,
    lastError: task.last_error,
    lastStatus: task.last_status,
    created: new Date(task.created).toISOString(),
    lastUpdated: new Date(task.updated).toISOString(),
    _links: { retry: { href: `${base}/api/v1/apps/${appId}/provisioning/tasks/${task.id}/retry`, hints: { allow: ["POST"] } } },
  };
}

function breakerJson(
  breaker: Awaited<ReturnType<ReturnType<typeof appCoordinator>["outboundSafety"]>>["breaker"],
  appId: string,
  base: string,
) {
  const { config, now: _now, ...state } = breaker;
  return {
    ...state,
    settings: { failureRate: config.failureRate, minOperations: config.minOperations, probeMs: config.probeMs },
    _links: { reset: { href: `${base}/api/v1/apps/${appId}/provisioning/circuit-breaker/reset`, hints: { allow: ["POST"] } } },
  };
}

function holdJson(hold: DeactivationHold, appId: string, base: string) {
  const self = `${base}/api/v1/apps/${appId}/provisioning/deactivation-holds/${hold.id}`;
  return {
    id: hold.id,
    status: "HELD",
    deactivations: hold.count,
    reason: hold.reason,
    created: new Date(hold.created).toISOString(),
    _links: {
      release: { href: `${self}/release`, hints: { allow: ["POST"] } },
      discard: { href: `${self}/discard`, hints: { allow: ["POST"] } },
    },
  };
}

async function resolveHold(c: Context<AppEnv>, decision: "release" | "discard") {
  const app = await requireApp(c.get("db"), c.req.param("appId")!);
  const hold = await appCoordinator(c.env, app.id).resolveDeactivationHold(c.req.param("holdId")!, decision);
  return c.json({ ...holdJson(hold, app.id, baseUrl(c)), status: decision === "release" ? "RELEASED" : "DISCARDED" });
}

const PENDING_SUMMARY = {
  WAITING_FOR_SIGN_IN: "Password pending the user's next sign-in",
  DELIVERING: "Password captured at sign-in, being delivered",
  DELIVERY_FAILED: "Password captured at sign-in; delivery failed (see the failed tasks)",
};

function pendingPasswordJson(item: PendingPasswordView, appId: string, base: string) {
  return {
    userId: item.userId,
    status: item.status,
    summary: PENDING_SUMMARY[item.status],
    assigned: iso(item.assigned),
    passwordChanged: iso(item.passwordChanged),
    _links: {
      appUser: { href: `${base}/api/v1/apps/${appId}/users/${item.userId}` },
      user: { href: `${base}/api/v1/users/${item.userId}` },
    },
  };
}

/** Connection, USER_PROVISIONING feature and provisioning operations of an app. */
export const provisioningRoutes = new Hono<AppEnv>()
  .get("/:appId/connections/default", requireScope("okta.apps.read"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    const row = await requireProvisioning(db, app);
    return c.json(connectionJson(row, app, baseUrl(c), await connectionUsername(c.env, row)));
  })
  .post(
    "/:appId/connections/default",
    requireScope("okta.apps.manage"),
    queryParams(z.object({ activate: z.enum(["true", "false"]).optional() })),
    jsonBody(connectionRequestSchema, "connection"),
    async (c) => {
      const db = c.get("db");
      const app = await requireApp(db, c.req.param("appId"));
      const activate = c.req.valid("query").activate;
      const row = await saveConnection(c.env, db, app, c.req.valid("json"), activate === undefined ? undefined : activate === "true");
      return c.json(connectionJson(row, app, baseUrl(c), await connectionUsername(c.env, row)));
    },
  )
  .post("/:appId/connections/default/lifecycle/activate", requireScope("okta.apps.manage"), async (c) => {
    const db = c.get("db");
    await setConnectionStatus(c.env, db, await requireApp(db, c.req.param("appId")), "ENABLED");
    return c.body(null, 204);
  })
  .post("/:appId/connections/default/lifecycle/deactivate", requireScope("okta.apps.manage"), async (c) => {
    const db = c.get("db");
    await setConnectionStatus(c.env, db, await requireApp(db, c.req.param("appId")), "DISABLED");
    return c.body(null, 204);
  })
  .post("/:appId/connections/default/test", requireScope("okta.apps.manage"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    const row = await requireProvisioning(db, app);
    return c.json(await testConnection(c.env, db, app, row, await auditOf(c)));
  })
  .get("/:appId/features", requireScope("okta.apps.read"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    const row = await requireProvisioning(db, app);
    const base = baseUrl(c);
    return c.json([
      userProvisioningFeatureJson(row, app, base),
      inboundFeatureJson(app.id, base, row.inbound ?? DEFAULT_INBOUND, row.connectionStatus),
    ]);
  })
  .get("/:appId/features/:name", requireScope("okta.apps.read"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    const row = await requireProvisioning(db, app);
    if (c.req.param("name") !== "USER_PROVISIONING") throw DomainError.notFound(c.req.param("name"), "ApplicationFeature");
    return c.json(userProvisioningFeatureJson(row, app, baseUrl(c)));
  })
  .put("/:appId/features/:name", requireScope("okta.apps.manage"), jsonBody(featureUpdateSchema, "feature"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    if (c.req.param("name") !== "USER_PROVISIONING") {
      await requireProvisioning(db, app);
      throw DomainError.notFound(c.req.param("name"), "ApplicationFeature");
    }
    const row = await updateUserProvisioning(c.env, db, app, c.req.valid("json"));
    return c.json(userProvisioningFeatureJson(row, app, baseUrl(c)));
  })
  // provisio extensions below: Okta keeps these in its Admin Console only.
  .get(
    "/:appId/provisioning/unprovisioned-users",
    requireScope("okta.apps.read"),
    queryParams(z.object({ after: z.string().optional(), limit: limitParam(50, 500) })),
    async (c) => {
      const db = c.get("db");
      const app = await requireApp(db, c.req.param("appId"));
      await requireProvisioning(db, app);
      const { after, limit } = c.req.valid("query");
      const rows = await listAppUsers(db, { appId: app.id, unprovisioned: true, afterUserId: afterId(after), limit });
      const items = respondWithPage(c, rows, limit, (row) => [row.appUser.userId]);
      const base = baseUrl(c);
      return c.json(items.map((row) => appUserJson(row.appUser, base)));
    },
  )
  .get(
    "/:appId/provisioning/pending-passwords",
    requireScope("okta.apps.read"),
    queryParams(z.object({ after: z.string().optional(), limit: limitParam(50, 500) })),
    async (c) => {
      const db = c.get("db");
      const app = await requireApp(db, c.req.param("appId"));
      const row = await requireProvisioning(db, app);
      const { after, limit } = c.req.valid("query");
      const page = await pendingPasswordsOfApp(c.env, db, row, afterId(after), limit);
      setLinkHeaders(c, page.nextCursor);
      const base = baseUrl(c);
      return c.json(page.items.map((item) => pendingPasswordJson(item, app.id, base)));
    },
  )
  .post("/:appId/provisioning/provision-users", requireScope("okta.apps.manage"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    await requireProvisioning(db, app);
    return c.json(await appCoordinator(c.env, app.id, await auditOf(c)).provisionUsers(), 202);
  })
  .post("/:appId/provisioning/users/:userId/sync", requireScope("okta.apps.manage"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    await requireProvisioning(db, app);
    return c.json(await appCoordinator(c.env, app.id, await auditOf(c)).syncUserNow(c.req.param("userId")));
  })
  .get(
    "/:appId/provisioning/tasks",
    requireScope("okta.apps.read"),
    queryParams(z.object({ status: z.enum(["PENDING", "IN_PROGRESS", "FAILED", "WAITING", "HELD"]).optional() })),
    async (c) => {
      const db = c.get("db");
      const app = await requireApp(db, c.req.param("appId"));
      const base = baseUrl(c);
      const tasks = await appCoordinator(c.env, app.id).tasks(c.req.valid("query").status);
      return c.json(tasks.map((task) => taskJson(task, app.id, base)));
    },
  )
  .post("/:appId/provisioning/tasks/:taskId/retry", requireScope("okta.apps.manage"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    const task = await appCoordinator(c.env, app.id, await auditOf(c)).retryTask(c.req.param("taskId"));
    return c.json(taskJson(task, app.id, baseUrl(c)));
  })
  .get("/:appId/provisioning/circuit-breaker", requireScope("okta.apps.read"), async (c) => {
    const app = await requireApp(c.get("db"), c.req.param("appId"));
    const { breaker } = await appCoordinator(c.env, app.id).outboundSafety();
    return c.json(breakerJson(breaker, app.id, baseUrl(c)));
  })
  .post("/:appId/provisioning/circuit-breaker/reset", requireScope("okta.apps.manage"), async (c) => {
    const app = await requireApp(c.get("db"), c.req.param("appId"));
    const coordinator = appCoordinator(c.env, app.id);
    await coordinator.resetBreaker();
    return c.json(breakerJson((await coordinator.outboundSafety()).breaker, app.id, baseUrl(c)));
  })
  .get("/:appId/provisioning/deactivation-holds", requireScope("okta.apps.read"), async (c) => {
    const app = await requireApp(c.get("db"), c.req.param("appId"));
    const { holds } = await appCoordinator(c.env, app.id).outboundSafety();
    const base = baseUrl(c);
    return c.json(holds.map((hold) => holdJson(hold, app.id, base)));
  })
  .post("/:appId/provisioning/deactivation-holds/:holdId/release", requireScope("okta.apps.manage"), (c) => resolveHold(c, "release"))
  .post("/:appId/provisioning/deactivation-holds/:holdId/discard", requireScope("okta.apps.manage"), (c) => resolveHold(c, "discard"));
