import { inject } from "vitest";
import { api, createApp } from "./api";

export const SCIM_TOKEN = "scim-test-token";

/** A fresh downstream SCIM app (its own tenant of the test SCIM server). */
export function scimTenant() {
  const name = crypto.randomUUID().slice(0, 8);
  const root = `${inject("scimOrigin")}/t/${name}`;
  return {
    baseUrl: `${root}/scim/v2`,
    hookUrl: `${root}/hook`,
    async hook(config: { mode: "commands" | "error" | "slow"; commands?: unknown[]; forUserName?: string }) {
      await fetch(`${root}/__hook`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(config) });
    },
    jwksUrl: `${root}/jwks`,
    /** What the tenant's jwks_uri answers from now on: a key set, or a status and body of your choosing. */
    async publishJwks(config: { keys?: unknown[]; status?: number; body?: string; cacheControl?: string }) {
      await fetch(`${root}/__jwks`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(config) });
    },
    async state(): Promise<{
      jwksFetches: number;
      users: any[];
      groups: any[];
      passwords: Record<string, string[]>;
      requests: { method: string; path: string; status: number; body?: any }[];
      hookRequests: any[];
    }> {
      return (await fetch(`${root}/__state`)).json();
    },
    async fault(...faults: Record<string, unknown>[]) {
      await fetch(`${root}/__faults`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(faults) });
    },
    /** `count` users written straight into the downstream (scale tests), named <prefix><n>@example.com. */
    async seedMany(count: number, prefix: string) {
      const res = await fetch(`${root}/__seed`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ count, prefix }),
      });
      if (res.status !== 204) throw new Error(`seeding ${count} users: ${res.status}`);
    },
    /** The downstream recovers: every injected fault not yet used is dropped. */
    async clearFaults() {
      await fetch(`${root}/__faults`, { method: "DELETE" });
    },
    async config(config: { patch: boolean }) {
      await fetch(`${root}/__config`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(config) });
    },
    /** Creates a user directly in the downstream app (as if it existed before Okta). */
    async seedUser(userName: string) {
      const res = await fetch(`${root}/scim/v2/Users`, {
        method: "POST",
        headers: { "Content-Type": "application/scim+json", Authorization: `Bearer ${SCIM_TOKEN}` },
        body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName, active: true }),
      });
      return res.json() as Promise<{ id: string }>;
    },
  };
}
export type ScimTenant = ReturnType<typeof scimTenant>;

export const ALL_ON = {
  create: { lifecycleCreate: { status: "ENABLED" } },
  update: {
    profile: { status: "ENABLED" },
    lifecycleDeactivate: { status: "ENABLED" },
    password: { status: "ENABLED", seed: "RANDOM", change: "KEEP_EXISTING" },
  },
};

/** An app connected to a fresh SCIM tenant with the given To App capabilities. */
export async function provisionedApp(capabilities: Record<string, unknown> = ALL_ON, appOverrides: Record<string, unknown> = {}) {
  const scim = scimTenant();
  const app = await createApp(appOverrides);
  const connection = await api("POST", `/api/v1/apps/${app.id}/connections/default?activate=true`, {
    baseUrl: scim.baseUrl,
    profile: { authScheme: "TOKEN", token: SCIM_TOKEN },
    pacing: { requestsPerSecond: 0 },
  });
  if (connection.status !== 200) throw new Error(`connection: ${connection.status} ${JSON.stringify(connection.body)}`);
  const feature = await api("PUT", `/api/v1/apps/${app.id}/features/USER_PROVISIONING`, capabilities);
  if (feature.status !== 200) throw new Error(`feature: ${feature.status} ${JSON.stringify(feature.body)}`);
  return { app, scim };
}

/** Polls until `check` returns a value that is not undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 15_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits until the app user reaches a sync state (and returns it). */
export function appUserWhen(appId: string, userId: string, predicate: (appUser: any) => boolean, what = "app user state") {
  return eventually(
    async () => {
      const res = await api("GET", `/api/v1/apps/${appId}/users/${userId}`);
      return res.status === 200 && predicate(res.body) ? res.body : undefined;
    },
    15_000,
    what,
  );
}
