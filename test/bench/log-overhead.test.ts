import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { it } from "vitest";
import { appUserEvents } from "../../src/audit/events";
import { logEvent, logStatements, SYSTEM_ACTOR } from "../../src/audit/system-log";
import { batchAll, createDb } from "../../src/db/client";
import { upsertAppUsers } from "../../src/db/queries/app-users";
import { logEvents, type AppUserRow } from "../../src/db/schema";
import { createApp } from "../helpers/api";
import { seedUsers } from "../helpers/seed";

// BENCH=1 npx vitest run --project workers test/bench/log-overhead.test.ts
// What the System Log adds to a group fan-out's writes: 5,000 app users upserted in chunks of
// 250 (one db.batch each, as the coordinator does), without events, with events as multi-row
// inserts (11 rows a statement under D1's 100 bound parameters), and with events as one
// json_each insert per chunk (what insertLogEvents does). Variants alternate; medians of ten.
it("measures the System Log's cost per 250-user fan-out chunk", async () => {
  const db = createDb(env.DB);
  const app = await createApp();
  const ids = await seedUsers(5_000, "Bnch");
  const audit = { actor: SYSTEM_ACTOR, requestId: "req123456789012345678901", jobId: crypto.randomUUID(), initiatedBy: "00T123" };
  const rows = (offset: number, round: number): AppUserRow[] =>
    ids.slice(offset, offset + 250).map((userId) => ({
      appId: app.id,
      userId,
      scope: "GROUP",
      status: "ACTIVE",
      syncState: "DISABLED",
      externalId: null,
      userName: `u${userId}`,
      passwordCiphertext: null,
      profile: { round },
      overrides: {},
      created: new Date(),
      lastUpdated: new Date(),
      statusChanged: new Date(),
      passwordChanged: null,
      lastSync: null,
    }));
  const eventsFor = (chunk: AppUserRow[]) =>
    chunk.flatMap((row) =>
      appUserEvents(
        {
          app: { id: app.id, label: app.label },
          user: { id: row.userId, login: `${row.userId}@example.com`, firstName: "Seed", lastName: "User" },
          before: undefined,
          after: row,
          grantGroupId: "00gBench",
        },
        { reason: "group assigned", groupId: "00gBench" },
        audit,
      ),
    );
  const variants = {
    none: (chunk: AppUserRow[]) => batchAll(db, upsertAppUsers(db, chunk)),
    multiRow: (chunk: AppUserRow[]) => {
      const events = eventsFor(chunk).map((e) => logEvent(e));
      const inserts = [];
      for (let i = 0; i < events.length; i += 11) inserts.push(db.insert(logEvents).values(events.slice(i, i + 11)));
      return batchAll(db, [...upsertAppUsers(db, chunk), ...inserts]);
    },
    jsonEach: (chunk: AppUserRow[]) => batchAll(db, [...upsertAppUsers(db, chunk), ...logStatements(db, eventsFor(chunk))]),
  };
  const times: Record<string, number[]> = { none: [], multiRow: [], jsonEach: [] };
  let round = 0;
  for (let i = 0; i < 10; i++) {
    for (const [name, write] of Object.entries(variants)) {
      round++;
      const started = performance.now();
      for (let offset = 0; offset < ids.length; offset += 250) await write(rows(offset, round));
      times[name].push(performance.now() - started);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const count = await db.select({ n: sql<number>`count(*)` }).from(logEvents);
  console.log(
    JSON.stringify({
      msPer5000: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])),
      all: times,
      events: count[0].n,
    }),
  );
}, 600_000);
