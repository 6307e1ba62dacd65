import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb, MAX_BOUND_PARAMS } from "../../src/db/client";
import type { AppUserRow, UserRow } from "../../src/db/schema";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import { updateUsers } from "../../src/db/queries/bulk-lookups";
import { writeItemOutcomes, writeItems } from "../../src/db/queries/imports";
import { compileFastAdd } from "../../src/db/queries/fan-out-sql";
import { parseExpression } from "../../src/mappings/expression-language";
import { deleteAppUsers, upsertAppUsers } from "../../src/db/queries/app-users";
import { insertLogEvents } from "../../src/db/queries/system-log";
import { logEvent } from "../../src/audit/system-log";

type Statement = { toSQL(): { params: unknown[] } };
const paramsOf = (statement: unknown) => (statement as Statement).toSQL().params.length;

// Local D1 does not enforce production's 100 bound parameters per statement, so the chunking
// is checked on the statements themselves.
describe("D1 bound-parameter chunking", () => {
  const db = createDb(env.DB);
  const row = (i: number): AppUserRow => ({
    appId: "0oaTest",
    userId: `00u${String(i).padStart(17, "0")}`,
    scope: "GROUP",
    status: "ACTIVE",
    syncState: "DISABLED",
    externalId: null,
    userName: `u${i}`,
    passwordCiphertext: null,
    profile: { a: i },
    overrides: {},
    created: new Date(0),
    lastUpdated: new Date(0),
    statusChanged: null,
    passwordChanged: null,
    lastSync: null,
  });

  const userRow = (i: number): UserRow => ({
    id: `00u${String(i).padStart(17, "0")}`,
    status: "ACTIVE",
    transitioningToStatus: null,
    login: `u${i}@example.com`,
    loginLower: `u${i}@example.com`,
    email: `u${i}@example.com`,
    firstName: "U",
    lastName: String(i),
    profile: { login: `u${i}@example.com` },
    passwordHash: null,
    recoveryQuestion: null,
    recoveryAnswerHash: null,
    providerType: "OKTA",
    providerName: "OKTA",
    created: new Date(0),
    activated: null,
    statusChanged: null,
    lastLogin: null,
    lastUpdated: new Date(0),
    passwordChanged: null,
  });

  it("keeps upserts and IN-lists under the bound-parameter limit, losing no row", () => {
    const rows = Array.from({ length: 1_003 }, (_, i) => row(i));
    // Upserts carry their rows as one JSON parameter per statement, each under D1's 1 MB bound.
    const upserts = upsertAppUsers(db, rows);
    expect(upserts.map(paramsOf).every((n) => n === 1)).toBe(true);
    const payloads = upserts.map((statement) => (statement as unknown as { toSQL(): { params: string[] } }).toSQL().params[0]);
    expect(payloads.every((payload) => new TextEncoder().encode(payload).length < 1_000_000)).toBe(true);
    const carried = payloads.flatMap((payload) => JSON.parse(payload) as unknown[][]);
    expect(carried.map((values) => values[1])).toEqual(rows.map((r) => r.userId));
    expect(carried.every((values) => values.length === 15)).toBe(true);

    const deletes = deleteAppUsers(
      db,
      "0oaTest",
      rows.map((r) => r.userId),
    );
    // Deletes carry the ids as one JSON parameter too (plus the app id).
    expect(deletes.map(paramsOf).every((n) => n === 2)).toBe(true);
    const deleted = deletes.flatMap(
      (statement) => JSON.parse((statement as unknown as { toSQL(): { params: string[] } }).toSQL().params[1]) as string[][],
    );
    expect(deleted.map(([id]) => id)).toEqual(rows.map((r) => r.userId));
  });

  it("keeps set-based import and fan-out statements to a handful of parameters whatever their size", () => {
    const users = Array.from({ length: 2_000 }, (_, i) => ({ ...userRow(i) }));
    const updates = updateUsers(users, ["profile", "status", "lastUpdated"]);
    const dialect = new SQLiteAsyncDialect();
    expect(updates.map((statement) => dialect.sqlToQuery(statement).params.length).every((n) => n === 1)).toBe(true);
    const items = Array.from({ length: 2_000 }, (_, i) => ({
      sessionId: "imsTest",
      seq: i + 1,
      externalId: `x${i}`,
      userName: `u${i}`,
      active: true,
      profile: { email: `u${i}@example.com` },
      result: "NEW" as const,
      matchedUserId: null,
      decision: "PENDING" as const,
      detail: "no matching Okta user",
      digest: null,
    }));
    for (const statement of writeItems(db, items)) expect(paramsOf(statement)).toBe(1);
    // Outcomes: the payload and the session id.
    for (const statement of writeItemOutcomes(items)) expect(dialect.sqlToQuery(statement).params.length).toBe(2);
    // The fast path's statements bind a few values however many attributes the mapping has.
    const mapping = Array.from({ length: 40 }, (_, i) => ({ attr: `attr${i}`, expr: parseExpression(`user.firstName + "${i}"`) }));
    const fast = compileFastAdd({
      appId: "0oaTest",
      groupId: "00gTest",
      mapping,
      groupProfile: { role: "admin" },
      userNameTemplate: { template: "${source.email}" },
      status: "ACTIVE",
      syncState: "DISABLED",
    })!;
    const range = { groupId: "00gTest", after: "", upTo: "00u~" };
    const event = logEvent({
      eventType: "application.user_membership.add",
      displayMessage: "x",
      target: [{ id: "0oaTest", type: "AppInstance" }],
    });
    for (const statement of [fast.insertAppUsers(range, 0, true), fast.insertEvents(range, event, "0190a1b2-c3d4-7e5f-8a9b-000000")]) {
      expect(dialect.sqlToQuery(statement).params.length).toBeLessThan(MAX_BOUND_PARAMS);
    }
  });

  it("inserts System Log events with one bound parameter per statement, splitting large payloads, losing no row", async () => {
    const rows = Array.from({ length: 1_003 }, (_, i) =>
      logEvent({ eventType: "test.bound", displayMessage: `event ${i} ${"x".repeat(400)}`, target: [{ id: `00u${i}`, type: "User" }] }),
    );
    const statements = insertLogEvents(db, rows);
    expect(statements.length).toBeGreaterThan(1);
    expect(statements.map(paramsOf).every((n) => n === 1)).toBe(true);
    for (const statement of statements) {
      const [payload] = (statement as unknown as { toSQL(): { params: string[] } }).toSQL().params;
      expect(new TextEncoder().encode(payload).length).toBeLessThan(1_000_000);
    }
    await db.batch(statements as [(typeof statements)[number], ...typeof statements]);
    const stored = await db.query.logEvents.findMany({ where: (t, { eq }) => eq(t.eventType, "test.bound") });
    expect(stored).toHaveLength(1_003);
    const first = stored.find((row) => row.uuid === rows[0].uuid)!;
    expect(first).toEqual(rows[0]);
  });
});
