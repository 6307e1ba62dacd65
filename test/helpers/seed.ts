import { env } from "cloudflare:workers";
import { api } from "./api";

/**
 * Seeds `count` ACTIVE users straight into D1 (one INSERT ... SELECT over a recursive CTE),
 * for tests that need thousands of users without thousands of API calls. Ids keep Okta's
 * 20-character shape and sort in creation order; `tag` (4 base62 characters) keeps runs apart.
 */
export async function seedUsers(count: number, tag: string): Promise<string[]> {
  const now = Date.now();
  await env.DB.prepare(
    `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?1)
     INSERT INTO users (id, status, login, login_lower, email, first_name, last_name, profile, created, last_updated, activated, status_changed)
     SELECT '00u' || ?2 || printf('%013d', n), 'ACTIVE',
            'seed' || n || '.' || ?2 || '@example.com', lower('seed' || n || '.' || ?2 || '@example.com'), 'seed' || n || '.' || ?2 || '@example.com',
            'Seed', 'User' || n,
            json_object('login', 'seed' || n || '.' || ?2 || '@example.com', 'email', 'seed' || n || '.' || ?2 || '@example.com', 'firstName', 'Seed', 'lastName', 'User' || n),
            ?3, ?3, ?3, ?3
     FROM seq`,
  )
    .bind(count, tag, now)
    .run();
  return Array.from({ length: count }, (_, i) => `00u${tag}${String(i + 1).padStart(13, "0")}`);
}

/** Adds users to a group straight in D1 (before the group is assigned anywhere). */
export async function seedMemberships(groupId: string, userIds: string[]): Promise<void> {
  await env.DB.prepare(`INSERT INTO group_members (group_id, user_id, created) SELECT ?1, value, ?2 FROM json_each(?3)`)
    .bind(groupId, Date.now(), JSON.stringify(userIds))
    .run();
}

/** Waits until the app's coordinator has no fan-out work left (its alarm runs the chunks). */
export async function settle(appId: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ops = await api("GET", `/api/v1/apps/${appId}/assignment-operations`);
    if (ops.status !== 200) throw new Error(`operations: ${ops.status}`);
    if (ops.body.length === 0) return;
    if (Date.now() > deadline) throw new Error(`fan-out not finished: ${JSON.stringify(ops.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every app user id of an app, following Link headers at limit=500. */
export async function allAppUserIds(appId: string, query = ""): Promise<string[]> {
  const ids: string[] = [];
  let path: string | undefined = `/api/v1/apps/${appId}/users?limit=500${query}`;
  while (path) {
    const res = await api("GET", path);
    if (res.status !== 200) throw new Error(`list: ${res.status} ${JSON.stringify(res.body)}`);
    ids.push(...res.body.map((u: { id: string }) => u.id));
    const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get("Link") ?? "");
    path = next ? new URL(next[1]).pathname + new URL(next[1]).search : undefined;
  }
  return ids;
}
