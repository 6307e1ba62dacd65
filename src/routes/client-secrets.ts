import { Hono } from "hono";
import { listClientSecrets } from "../db/queries/client-secrets";
import { requireScope } from "../http/auth";
import { auditOf } from "../http/audit";
import type { AppEnv } from "../http/context";
import { baseUrl } from "../http/pagination";
import { jsonBody } from "../http/validation";
import {
  createClientSecret,
  removeClientSecret,
  requireClientSecret,
  requireOAuthClient,
  setClientSecretStatus,
} from "../services/client-secrets";
import { requireApp } from "../services/lookups";
import { clientSecretJson, createClientSecretSchema } from "../wire/client-secret";

/** /api/v1/apps/{appId}/credentials/secrets: Okta's OAuth 2.0 client secret management (rotation with two secrets). */
export const clientSecretsRoutes = new Hono<AppEnv>()
  .get("/:appId/credentials/secrets", requireScope("okta.apps.read"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    requireOAuthClient(app);
    const base = baseUrl(c);
    return c.json((await listClientSecrets(db, app.id)).map((row) => clientSecretJson(row, base)));
  })
  .post("/:appId/credentials/secrets", requireScope("okta.apps.manage"), jsonBody(createClientSecretSchema, "client_secret"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    const { row, secret } = await createClientSecret(db, app, c.req.valid("json"), await auditOf(c));
    return c.json(clientSecretJson(row, baseUrl(c), secret), 201);
  })
  .get("/:appId/credentials/secrets/:secretId", requireScope("okta.apps.read"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    return c.json(clientSecretJson(await requireClientSecret(db, app, c.req.param("secretId")), baseUrl(c)));
  })
  .delete("/:appId/credentials/secrets/:secretId", requireScope("okta.apps.manage"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    await removeClientSecret(db, app, await requireClientSecret(db, app, c.req.param("secretId")), await auditOf(c));
    return c.body(null, 204);
  })
  .post("/:appId/credentials/secrets/:secretId/lifecycle/activate", requireScope("okta.apps.manage"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    const secret = await requireClientSecret(db, app, c.req.param("secretId"));
    return c.json(clientSecretJson(await setClientSecretStatus(db, app, secret, "ACTIVE", await auditOf(c)), baseUrl(c)));
  })
  .post("/:appId/credentials/secrets/:secretId/lifecycle/deactivate", requireScope("okta.apps.manage"), async (c) => {
    const db = c.get("db");
    const app = await requireApp(db, c.req.param("appId"));
    const secret = await requireClientSecret(db, app, c.req.param("secretId"));
    return c.json(clientSecretJson(await setClientSecretStatus(db, app, secret, "INACTIVE", await auditOf(c)), baseUrl(c)));
  });
