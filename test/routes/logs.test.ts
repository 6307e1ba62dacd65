import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { logEvent } from "../../src/audit/system-log";
import { batchAll, createDb } from "../../src/db/client";
import { insertLogEvents } from "../../src/db/queries/system-log";
import { api, links, pathOf } from "../helpers/api";

/** Seeds five events of a type unique to the test, one minute apart, ending a minute ago. */
async function seedEvents() {
  const eventType = `test.logs.${crypto.randomUUID().slice(0, 8)}`;
  const base = Date.now() - 6 * 60_000;
  const rows = [0, 1, 2, 3, 4].map((i) => logEvent({ eventType, displayMessage: `event ${i}` }, new Date(base + i * 60_000)));
  const db = createDb(env.DB);
  await batchAll(db, insertLogEvents(db, rows));
  return { eventType, filter: encodeURIComponent(`eventType eq "${eventType}"`) };
}

/** Follows Link rel="next" from the first page to the last, collecting displayMessages. */
async function readAllPages(path: string): Promise<string[]> {
  const messages: string[] = [];
  for (let next: string | undefined = path; next !== undefined;) {
    const page: { status: number; body: { displayMessage: string }[]; headers: Headers } = await api("GET", next);
    expect(page.status).toBe(200);
    messages.push(...page.body.map((e) => e.displayMessage));
    const nextUrl: string | undefined = links(page.headers).next;
    next = nextUrl ? pathOf(nextUrl) : undefined;
  }
  return messages;
}

describe("GET /api/v1/logs", () => {
  it("returns events oldest first by default, paging through every one exactly once", async () => {
    const { filter } = await seedEvents();
    expect(await readAllPages(`/api/v1/logs?filter=${filter}&limit=2`)).toEqual(["event 0", "event 1", "event 2", "event 3", "event 4"]);
  });

  it("returns events newest first with sortOrder=DESCENDING, paging in that direction", async () => {
    const { filter } = await seedEvents();
    expect(await readAllPages(`/api/v1/logs?filter=${filter}&limit=2&sortOrder=DESCENDING`)).toEqual([
      "event 4",
      "event 3",
      "event 2",
      "event 1",
      "event 0",
    ]);
  });

  it("rejects an unknown sortOrder with Okta's error envelope", async () => {
    const res = await api("GET", "/api/v1/logs?sortOrder=SIDEWAYS");
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ errorCode: expect.stringMatching(/^E0000/), errorSummary: expect.any(String) });
  });
});
