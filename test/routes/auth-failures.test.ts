import { describe, expect, it } from "vitest";
import { api, unique } from "../helpers/api";
import { apiWithVars } from "../helpers/env-fetch";

type LogEvent = {
  eventType: string;
  outcome: { result: string; reason: string };
  actor: { id: string };
  debugContext: { debugData: Record<string, string> };
};

/** The auth-failure events whose request went to `path`, newest first. */
async function failureEvents(path: string): Promise<LogEvent[]> {
  const filter = encodeURIComponent('eventType eq "user.authentication.auth"');
  const res = await api("GET", `/api/v1/logs?filter=${filter}&sortOrder=DESCENDING&limit=1000`);
  expect(res.status).toBe(200);
  return (res.body as LogEvent[]).filter((e) => e.debugContext.debugData.requestUri === path);
}

const from = (address: string, authorization?: string) => ({
  token: authorization === undefined ? null : undefined,
  headers: { "CF-Connecting-IP": address, ...(authorization ? { Authorization: authorization } : {}) },
});

describe("failed authentication", () => {
  it("is answered 401 E0000011 and recorded in the System Log as a FAILURE, without the token", async () => {
    const path = `/api/v1/users/${unique("probe")}`;
    const secret = `00${crypto.randomUUID()}`;
    const wrong = await apiWithVars({}, "GET", path, from("198.51.100.7", `SSWS ${secret}`));
    expect(wrong.status).toBe(401);
    expect(wrong.body.errorCode).toBe("E0000011");
    expect(wrong.headers.get("X-Rate-Limit-Limit")).toBe("30");
    const missing = await apiWithVars({}, "GET", path, from("198.51.100.7"));
    expect(missing.status).toBe(401);
    expect(missing.headers.get("X-Rate-Limit-Remaining")).toBe(String(Number(wrong.headers.get("X-Rate-Limit-Remaining")) - 1));

    const events = await failureEvents(path);
    expect(events.map((e) => e.outcome)).toEqual([
      { result: "FAILURE", reason: "no Authorization header" },
      { result: "FAILURE", reason: "unknown token" },
    ]);
    expect(events[1].debugContext.debugData).toMatchObject({
      requestMethod: "GET",
      requestUri: path,
      authScheme: "SSWS",
      clientAddress: "198.51.100.7",
      requestId: wrong.headers.get("X-Okta-Request-Id"),
    });
    expect(JSON.stringify(events)).not.toContain(secret);
  });

  it("names the token when a revoked one is used", async () => {
    const minted = await api("POST", "/api/v1/api-tokens", { name: unique("revoked ") });
    await api("DELETE", `/api/v1/api-tokens/${minted.body.id}`);
    const path = `/api/v1/groups/${unique("probe")}`;
    const res = await apiWithVars({}, "GET", path, from("198.51.100.8", `SSWS ${minted.body.token}`));
    expect(res.status).toBe(401);
    const [event] = await failureEvents(path);
    expect(event).toMatchObject({ outcome: { reason: "revoked token" }, actor: { id: minted.body.id } });
    expect(JSON.stringify(event)).not.toContain(minted.body.token);
  });

  it("is limited per client address: past the limit 429 E0000047 and no more log events", async () => {
    const vars = { AUTH_FAILURES_PER_MINUTE: "3" };
    const path = `/api/v1/apps/${unique("probe")}`;
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await apiWithVars(vars, "GET", path, from("203.0.113.9", "SSWS nope"))).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const limited = await apiWithVars(vars, "GET", path, from("203.0.113.9", "SSWS nope"));
    expect(limited.body).toMatchObject({ errorCode: "E0000047" });
    expect(limited.headers.get("X-Rate-Limit-Remaining")).toBe("0");
    expect(Date.parse(limited.headers.get("Date")!)).not.toBeNaN();
    expect(await failureEvents(path)).toHaveLength(3);
    // Another address is not affected, nor is a valid token from the same address.
    expect((await apiWithVars(vars, "GET", path, from("203.0.113.10", "SSWS nope"))).status).toBe(401);
    expect((await apiWithVars(vars, "GET", "/api/v1/apps?limit=1", { headers: { "CF-Connecting-IP": "203.0.113.9" } })).status).toBe(200);
  });

  it("writes at most AUTH_FAILURE_LOGS_PER_MINUTE events per window org-wide", async () => {
    // A 2 s window, after 2 s of waiting, is a fresh one whatever earlier tests counted.
    const vars = { AUTH_FAILURE_LOGS_PER_MINUTE: "2", RATE_LIMIT_WINDOW_SECONDS: "2" };
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const path = `/api/v1/logs/${unique("probe")}`;
    for (let i = 0; i < 5; i++) {
      const res = await apiWithVars(vars, "GET", path, from(`192.0.2.${i + 1}`, "SSWS nope"));
      expect(res.status).toBe(401);
    }
    expect(await failureEvents(path)).toHaveLength(2);
  });
});
