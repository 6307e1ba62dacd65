import { describe, expect, it } from "vitest";
import { api, createApp, createGroup, createUser, unique } from "../helpers/api";
import { apiWithVars } from "../helpers/env-fetch";

function expectTooLarge(res: { status: number; body: any; headers: Headers }, status: number, subject: string) {
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({
    errorCode: "E0000001",
    errorSummary: `Api validation failed: ${subject}`,
    errorLink: "E0000001",
    errorId: res.headers.get("X-Okta-Request-Id"),
    errorCauses: [{ errorSummary: expect.any(String) }],
  });
  // Counted like any other call.
  expect(res.headers.get("X-Rate-Limit-Limit")).toBeTruthy();
}

const groupBody = (description: string) => JSON.stringify({ profile: { name: unique("caps "), description } });

describe("request size caps", () => {
  it("answers a body over MAX_REQUEST_BODY_BYTES with 413 and Okta's envelope", async () => {
    const big = await api("POST", "/api/v1/groups", groupBody("x".repeat(1_100_000)));
    expectTooLarge(big, 413, "body");
    expect(big.body.errorCauses[0].errorSummary).toBe("The request body is larger than 1048576 bytes.");
    const small = await apiWithVars({ MAX_REQUEST_BODY_BYTES: "200" }, "POST", "/api/v1/groups", { body: groupBody("x".repeat(300)) });
    expectTooLarge(small, 413, "body");
    const fits = await apiWithVars({ MAX_REQUEST_BODY_BYTES: "200" }, "POST", "/api/v1/groups", { body: groupBody("fits") });
    expect(fits.status).toBe(200);
  });

  it("cuts off a streamed body without Content-Length once it passes the cap", async () => {
    const chunk = new TextEncoder().encode(`"${"y".repeat(1000)}",`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"profile":{"name":"streamed","description":['));
        sent += 1;
        if (sent > 50) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const res = await apiWithVars({ MAX_REQUEST_BODY_BYTES: "5000" }, "POST", "/api/v1/groups", { body });
    expectTooLarge(res, 413, "body");
    // It stopped reading soon after the cap instead of taking the whole stream.
    expect(sent).toBeLessThan(20);
  });

  it("answers headers over MAX_REQUEST_HEADER_BYTES with 431", async () => {
    const res = await api("GET", "/api/v1/groups?limit=1", undefined, { "X-Padding": "p".repeat(17_000) });
    expectTooLarge(res, 431, "request headers");
    const configured = await apiWithVars({ MAX_REQUEST_HEADER_BYTES: "600" }, "GET", "/api/v1/groups?limit=1", {
      headers: { "X-Padding": "p".repeat(600) },
    });
    expectTooLarge(configured, 431, "request headers");
  });

  it("answers a query string over MAX_QUERY_STRING_BYTES with 414", async () => {
    const res = await api("GET", `/api/v1/users?search=${"a".repeat(9_000)}`);
    expectTooLarge(res, 414, "query string");
    expect(res.body.errorCauses[0].errorSummary).toContain("at most 8192");
    // Long Okta filters within the cap still work.
    const filter = encodeURIComponent(`profile.login eq "${"a".repeat(1_500)}@example.com"`);
    expect((await api("GET", `/api/v1/users?search=${filter}`)).status).toBe(200);
  });
});

describe("profile caps", () => {
  const causes = (res: { body: { errorCauses: { errorSummary: string }[] } }) => res.body.errorCauses.map((c) => c.errorSummary);

  it("refuses a user profile with too many attributes or too long a string, naming the attribute", async () => {
    const name = unique("u");
    const base = { firstName: "Cap", lastName: "Ped", email: `${name}@example.com`, login: `${name}@example.com` };
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`attr${i}`, "v"]));
    const tooMany = await api("POST", "/api/v1/users?activate=false", { profile: { ...base, ...many } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({ errorCode: "E0000001", errorSummary: "Api validation failed: profile" });
    expect(causes(tooMany)).toEqual(["profile: 204 attributes; at most 200 are accepted"]);

    const long = await api("POST", "/api/v1/users?activate=false", { profile: { ...base, nickName: "n".repeat(4_097) } });
    expect(long.status).toBe(400);
    expect(long.body.errorSummary).toBe("Api validation failed: nickName");
    expect(causes(long)).toEqual(["profile.nickName: longer than 4096 characters"]);
    const inArray = await api("POST", "/api/v1/users?activate=false", { profile: { ...base, tags: ["ok", "t".repeat(5_000)] } });
    expect(causes(inArray)).toEqual(["profile.tags: longer than 4096 characters"]);

    const fits = await api("POST", "/api/v1/users?activate=false", { profile: { ...base, nickName: "n".repeat(4_096) } });
    expect(fits.status).toBe(200);
    const update = await api("POST", `/api/v1/users/${fits.body.id}`, { profile: { nickName: "n".repeat(4_097) } });
    expect(update.status).toBe(400);
    const replace = await api("PUT", `/api/v1/users/${fits.body.id}`, { profile: { ...base, ...many } });
    expect(replace.status).toBe(400);
  });

  it("takes its caps from MAX_PROFILE_ATTRIBUTES and MAX_PROFILE_STRING_LENGTH", async () => {
    const user = await createUser();
    const vars = { MAX_PROFILE_ATTRIBUTES: "5", MAX_PROFILE_STRING_LENGTH: "10" };
    const res = await apiWithVars(vars, "POST", `/api/v1/users/${user.id}`, {
      body: JSON.stringify({ profile: { title: "a long job title" } }),
    });
    expect(res.status).toBe(400);
    expect(res.body.errorCauses).toEqual([{ errorSummary: "profile.title: longer than 10 characters" }]);
  });

  it("refuses app-user and group-assignment profiles over the caps", async () => {
    const [app, user, group] = await Promise.all([createApp(), createUser(), createGroup()]);
    const assign = await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id, profile: { role: "r".repeat(5_000) } });
    expect(assign.status).toBe(400);
    expect(assign.body.errorSummary).toBe("Api validation failed: role");
    expect((await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id, profile: { role: "admin" } })).status).toBe(200);
    const update = await api("POST", `/api/v1/apps/${app.id}/users/${user.id}`, {
      profile: Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`a${i}`, i])),
    });
    expect(update.status).toBe(400);
    const put = await api("PUT", `/api/v1/apps/${app.id}/groups/${group.id}`, { profile: { role: "r".repeat(5_000) } });
    expect(put.status).toBe(400);
    expect((await api("PUT", `/api/v1/apps/${app.id}/groups/${group.id}`, { profile: { role: "viewer" } })).status).toBe(200);
    const patch = await api("PATCH", `/api/v1/apps/${app.id}/groups/${group.id}`, [
      { op: "replace", path: "/profile/role", value: "r".repeat(5_000) },
    ]);
    expect(patch.status).toBe(400);
    expect(patch.body.errorSummary).toBe("Api validation failed: role");
  });
});
