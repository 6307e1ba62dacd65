import { env } from "cloudflare:workers";
import { asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { appUsers } from "../../src/db/schema";
import { tableRows } from "../../src/db/table-rows";
import { api, createApp, createUser } from "../helpers/api";

describe("tableRows (hot-path decoding of whole-table selects)", () => {
  it("decodes app users exactly as drizzle does: dates, JSON, nulls and every column", async () => {
    const app = await createApp();
    for (let i = 0; i < 3; i += 1) {
      const user = await createUser();
      const res = await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id, scope: "USER", profile: { role: `r${i}` } });
      expect(res.status).toBe(200);
    }
    // A non-null externalId and lastSync too, so both branches of every column are seen.
    await env.DB.prepare(
      "UPDATE app_users SET external_id = 'ext-1', last_sync = 1700000000123 WHERE app_id = ? AND rowid = (SELECT min(rowid) FROM app_users WHERE app_id = ?)",
    )
      .bind(app.id, app.id)
      .run();
    const db = createDb(env.DB);
    const query = () => db.select().from(appUsers).where(eq(appUsers.appId, app.id)).orderBy(asc(appUsers.userId));
    const viaDrizzle = await query();
    const fast = await tableRows(db, appUsers, query());
    expect(fast).toHaveLength(3);
    expect(fast).toEqual(viaDrizzle);
    expect(fast.some((row) => row.externalId === "ext-1" && row.lastSync instanceof Date)).toBe(true);
    expect(fast[0].created).toBeInstanceOf(Date);
    expect(fast[0].profile).toMatchObject({ role: expect.any(String) });
  });
});
