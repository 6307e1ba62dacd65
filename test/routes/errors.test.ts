import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createUser, ORIGIN } from "../helpers/api";

function expectEnvelope(body: any, code: string) {
  expect(body).toMatchObject({ errorCode: code, errorLink: code, errorCauses: expect.any(Array) });
  expect(typeof body.errorSummary).toBe("string");
  expect(typeof body.errorId).toBe("string");
}

describe("Okta error envelope and request plumbing", () => {
  it("rejects a missing or wrong token with 401 E0000011", async () => {
    const missing = await exports.default.fetch(`${ORIGIN}/api/v1/users`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(missing.headers.get("X-Okta-Request-Id")).toBeTruthy();
    expectEnvelope(await missing.json(), "E0000011");

    const wrong = await api("GET", "/api/v1/users", undefined, { Authorization: "SSWS not-the-token" });
    expect(wrong.status).toBe(401);
    expectEnvelope(wrong.body, "E0000011");

    const bearer = await api("GET", "/api/v1/users", undefined, { Authorization: "Bearer test-bootstrap-token" });
    expect(bearer.status).toBe(401);
  });

  it("puts X-Okta-Request-Id on every response and uses it as errorId", async () => {
    const ok = await api("GET", "/api/v1/users");
    expect(ok.headers.get("X-Okta-Request-Id")).toMatch(/^[0-9A-Za-z]{24}$/);
    const missing = await api("GET", "/api/v1/users/00unope");
    expect(missing.status).toBe(404);
    expect(missing.body.errorId).toBe(missing.headers.get("X-Okta-Request-Id"));
    expectEnvelope(missing.body, "E0000007");
  });

  it("answers unknown paths with 404 E0000007 and known paths with a wrong method with 405 E0000022", async () => {
    const unknown = await api("GET", "/api/v1/nothing-here");
    expect(unknown.status).toBe(404);
    expectEnvelope(unknown.body, "E0000007");

    const wrongMethod = await api("PATCH", "/api/v1/users", {});
    expect(wrongMethod.status).toBe(405);
    expectEnvelope(wrongMethod.body, "E0000022");
    expect(wrongMethod.headers.get("Allow")).toContain("GET");
    expect(wrongMethod.headers.get("Allow")).toContain("POST");
  });

  it("rejects malformed JSON with 400 E0000003 and a non-JSON body with 400 E0000021", async () => {
    const malformed = await api("POST", "/api/v1/users", '{"profile": {');
    expect(malformed.status).toBe(400);
    expectEnvelope(malformed.body, "E0000003");

    const form = await api("POST", "/api/v1/users", "profile=x", { "Content-Type": "application/x-www-form-urlencoded" });
    expect(form.status).toBe(400);
    expectEnvelope(form.body, "E0000021");
  });

  it("turns schema violations into 400 E0000001 with one cause per problem", async () => {
    const res = await api("POST", "/api/v1/users", { profile: { login: "x", email: "not-an-email" } });
    expect(res.status).toBe(400);
    expectEnvelope(res.body, "E0000001");
    const causes = res.body.errorCauses.map((c: { errorSummary: string }) => c.errorSummary);
    expect(causes.some((c: string) => c.startsWith("profile.login"))).toBe(true);
    expect(causes.some((c: string) => c.startsWith("profile.email"))).toBe(true);
    expect(causes.some((c: string) => c.startsWith("profile.firstName"))).toBe(true);
  });

  it("normalises repeated slashes and a trailing slash, as the Okta SDK sends them", async () => {
    const user = await createUser();
    const doubled = await api("GET", `//api/v1/users/${user.id}`);
    expect(doubled.status).toBe(200);
    expect(doubled.body.id).toBe(user.id);
    const trailing = await api("GET", `/api/v1/users/${user.id}/`);
    expect(trailing.status).toBe(200);
    const list = await api("GET", "//api/v1//users?limit=1");
    expect(list.status).toBe(200);
    expect(list.headers.get("Link")).toContain(`<${ORIGIN}/api/v1/users?limit=1>; rel="self"`);
  });

  it("rejects a cursor it did not issue with 400 E0000029", async () => {
    const res = await api("GET", "/api/v1/users?after=not-a-cursor");
    expect(res.status).toBe(400);
    expectEnvelope(res.body, "E0000029");
  });
});
