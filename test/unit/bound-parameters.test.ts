import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb, MAX_BOUND_PARAMS } from "../../src/db/client";
import type { AppUserRow } from "../../src/db/schema";
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
    const deleteParams = deletes.map(paramsOf);
    expect(Math.max(...deleteParams)).toBeLessThanOrEqual(MAX_BOUND_PARAMS);
    expect(deleteParams.reduce((a, b) => a + b, 0)).toBe(1_003 + deletes.length);
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
