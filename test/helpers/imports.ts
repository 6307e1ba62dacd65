import { expect } from "vitest";
import { api, createApp } from "./api";
import { eventually, SCIM_TOKEN, scimTenant, type ScimTenant } from "./scim";

/** Import rules most import tests use: exact by email, auto-confirm exact matches and new users. */
export const IMPORT_RULES = {
  exactMatchCriteria: "EMAIL",
  allowPartialMatch: true,
  autoConfirmExactMatch: true,
  autoConfirmPartialMatch: false,
  autoConfirmNewUsers: true,
  autoActivateNewUsers: false,
};

/** An app connected to a fresh SCIM tenant, with INBOUND_PROVISIONING set from `feature`. */
export async function importingApp(feature: Record<string, unknown> = {}, appOverrides: Record<string, unknown> = {}) {
  const scim = scimTenant();
  const app = await createApp(appOverrides);
  await api("POST", `/api/v1/apps/${app.id}/connections/default?activate=true`, {
    baseUrl: scim.baseUrl,
    profile: { authScheme: "TOKEN", token: SCIM_TOKEN },
  });
  const res = await api("PUT", `/api/v1/apps/${app.id}/features/INBOUND_PROVISIONING`, {
    importRules: { userCreateAndMatch: IMPORT_RULES },
    ...feature,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { app, scim };
}

/** Calls the tenant's SCIM API directly (as the downstream app's own admin would). */
export async function scimCall(scim: ScimTenant, method: string, path: string, body?: unknown) {
  const res = await fetch(`${scim.baseUrl}${path}`, {
    method,
    headers: { "Content-Type": "application/scim+json", Authorization: `Bearer ${SCIM_TOKEN}` },
    body: body ? JSON.stringify(body) : undefined,
  });
  return res.status === 204 ? undefined : res.json();
}

/** Creates a user in the downstream app. */
export async function downstreamUser(
  scim: ScimTenant,
  user: { userName: string; givenName?: string; familyName?: string; email?: string; active?: boolean },
): Promise<{ id: string }> {
  return (await scimCall(scim, "POST", "/Users", {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName: user.userName,
    active: user.active ?? true,
    ...(user.givenName || user.familyName ? { name: { givenName: user.givenName, familyName: user.familyName } } : {}),
    ...(user.email ? { emails: [{ value: user.email, primary: true }] } : {}),
  })) as { id: string };
}

/** Starts an import and waits until it is no longer RUNNING. */
export async function runImport(appId: string, body: Record<string, unknown> = {}, timeoutMs = 30_000) {
  const started = await api("POST", `/api/v1/apps/${appId}/imports`, body);
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  return eventually(
    async () => {
      const session = (await api("GET", `/api/v1/apps/${appId}/imports/${started.body.id}`)).body;
      return session.status !== "RUNNING" ? session : undefined;
    },
    timeoutMs,
    "import session",
  );
}
