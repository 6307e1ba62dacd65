import { describe, expect, it } from "vitest";
import { api, createApp, createGroup } from "../helpers/api";
import { allAppUserIds, seedMemberships, seedUsers, settle } from "../helpers/seed";

// A group far larger than one chunk: the PUT returns after the first chunk, the coordinator's
// alarm applies the rest, and other changes to the same app keep flowing meanwhile.
describe("group fan-out at scale", () => {
  it("assigns a 5,000-member group completely, handles overlap, and unassigns exactly", async () => {
    const app = await createApp();
    const big = await createGroup();
    const small = await createGroup();
    const ids = await seedUsers(5_000, "FanA");
    await seedMemberships(big.id, ids);
    const inSmall = ids.filter((_, i) => i % 10 === 0); // 500 also in a second group
    await seedMemberships(small.id, inSmall);
    const direct = ids.filter((_, i) => i % 7 === 0).slice(0, 50); // 50 also assigned directly
    for (const id of direct) expect((await api("POST", `/api/v1/apps/${app.id}/users`, { id })).status).toBe(200);

    const started = Date.now();
    const put = await api("PUT", `/api/v1/apps/${app.id}/groups/${big.id}`, undefined, { "Content-Length": "0" });
    const putMs = Date.now() - started;
    expect(put.status).toBe(200);

    // While the fan-out runs, a direct change to the same app is served (and stays correct).
    const during = await api("POST", `/api/v1/apps/${app.id}/users/${direct[0]}`, { profile: { note: "during fan-out" } });
    expect(during.status).toBe(200);
    const ops = await api("GET", `/api/v1/apps/${app.id}/assignment-operations`);
    expect(ops.status).toBe(200);

    await settle(app.id);
    const fanOutMs = Date.now() - started;
    const listed = await allAppUserIds(app.id);
    expect(listed).toHaveLength(5_000);
    expect(new Set(listed)).toEqual(new Set(ids));

    await api("PUT", `/api/v1/apps/${app.id}/groups/${small.id}`, undefined, { "Content-Length": "0" });
    await settle(app.id);
    expect(await allAppUserIds(app.id)).toHaveLength(5_000);
    expect(await allAppUserIds(app.id, "&filter=" + encodeURIComponent('scope eq "USER"'))).toEqual(direct);

    expect((await api("DELETE", `/api/v1/apps/${app.id}/groups/${big.id}`)).status).toBe(204);
    await settle(app.id);
    const remaining = await allAppUserIds(app.id);
    const expected = [...new Set([...inSmall, ...direct])].sort();
    expect(remaining).toEqual(expected);

    console.log(`group fan-out: 5,000 members; PUT returned in ${putMs} ms; all listed after ${fanOutMs} ms`);
    expect(putMs).toBeLessThan(fanOutMs);
  }, 120_000);
});
