import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb, runBatch } from "../../src/db/client";
import { HARD_QUERY_LIMIT, InvocationMeter, meteredD1 } from "../../src/coordinator/invocation-budget";

// The coordinator's D1 binding counts every statement against the invocation it runs in.
describe("metered D1 binding", () => {
  const db = createDb(meteredD1(env.DB));

  it("counts single statements and every statement of a batch, per invocation", async () => {
    const meter = new InvocationMeter();
    await meter.run("first", async (invocation) => {
      await db.all(sql`SELECT 1`);
      await db.$client.prepare("SELECT ?").bind(2).first();
      await runBatch(db, [sql`SELECT ${3}`, sql`SELECT ${4}`, sql`SELECT ${5}`]);
      expect(invocation.queries).toBe(5);
    });
    await meter.run("second", async (invocation) => {
      await db.all(sql`SELECT 1`);
      expect(invocation.queries).toBe(1);
    });
    expect(meter.stats()).toMatchObject({ invocations: 2, maxQueries: 5, maxQueriesKind: "first" });
  });

  it("keeps concurrent invocations apart, and nested ones in their outer invocation", async () => {
    const meter = new InvocationMeter();
    const counts = await Promise.all(
      [1, 2, 3].map((n) =>
        meter.run(`concurrent ${n}`, async (invocation) => {
          for (let i = 0; i < n; i++) await db.all(sql`SELECT ${i}`);
          await meter.run("nested", async () => db.all(sql`SELECT 0`));
          return invocation.queries;
        }),
      ),
    );
    expect(counts).toEqual([2, 3, 4]);
    expect(meter.stats().invocations).toBe(3);
  });

  it("refuses past Cloudflare's limit, as a deployed invocation would fail", async () => {
    const meter = new InvocationMeter();
    await expect(
      meter.run("runaway", async () => {
        for (let i = 0; i <= HARD_QUERY_LIMIT; i++) await db.$client.prepare("SELECT 1").first();
      }),
    ).rejects.toThrow(/more than 1000 D1 queries/);
    expect(meter.stats().maxQueries).toBe(HARD_QUERY_LIMIT + 1);
  });
});
