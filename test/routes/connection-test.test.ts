import { inject, describe, expect, it } from "vitest";
import { api, createApp, createUser } from "../helpers/api";
import { eventually, provisionedApp, SCIM_TOKEN, scimTenant } from "../helpers/scim";

// Issue 17: Test API Credentials used to echo up to 200 characters of whatever the downstream
// answered. It now says the status, a classification and, for a SCIM error, its `detail` with
// credential-looking text taken out; the System Log gets the same, and never a body.

// What a careless downstream puts in its error answers; none of it may come back or be logged.
const BEARER = "sk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0";
const PASSWORD = "hunter2-Correct-Horse-77";
const JWT =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
const LEAKS = [BEARER, PASSWORD, JWT, SCIM_TOKEN, "sk_live", "hunter2", "eyJhbGci", "SflKxwRJ"];
const CHATTY = `Invalid credentials: got Authorization: Bearer ${BEARER} for admin (password=${PASSWORD}); session ${JWT}; expected ${SCIM_TOKEN}`;

const scimError = (status: number, detail: string) =>
  JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: String(status), detail });

async function testCredentials(appId: string) {
  const res = await api("POST", `/api/v1/apps/${appId}/connections/default/test`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as {
    status: string;
    errorSummary: string | null;
    checks: { name: string; status: string; httpStatus: number | null; classification?: string; detail: string }[];
  };
}

/** The Test API Credentials events of an app. */
async function testEvents(appId: string) {
  const filter = `eventType eq "application.provision.integration.call_api" and target.id eq "${appId}"`;
  const res = await api("GET", `/api/v1/logs?since=${new Date(Date.now() - 120_000).toISOString()}&filter=${encodeURIComponent(filter)}`);
  expect(res.status).toBe(200);
  return res.body as { outcome: { result: string; reason?: string }; debugContext: { debugData: Record<string, any> } }[];
}

function expectNoLeak(value: unknown) {
  const text = JSON.stringify(value);
  for (const leak of LEAKS) expect(text, leak).not.toContain(leak);
}

describe("Test API Credentials", () => {
  it("answers a SCIM error with its status, AUTH_REFUSED and its detail stripped of tokens, passwords and JWTs; the log says the same", async () => {
    const { app, scim } = await provisionedApp();
    await scim.fault({
      path: "ServiceProviderConfig",
      kind: "respond",
      status: 401,
      contentType: "application/scim+json",
      body: scimError(401, CHATTY),
      times: 1,
    });
    const result = await testCredentials(app.id);
    expect(result.status).toBe("FAILURE");
    expect(result.checks).toEqual([
      { name: "ServiceProviderConfig", status: "FAILURE", httpStatus: 401, classification: "AUTH_REFUSED", detail: expect.any(String) },
    ]);
    const { detail } = result.checks[0];
    expect(detail).toMatch(/^401 the app refused the credentials: Invalid credentials: /);
    expect(detail).toContain("[redacted]");
    expect(result.errorSummary).toBe(`ServiceProviderConfig: ${detail}`);
    expectNoLeak(result);

    const [event] = await testEvents(app.id);
    expect(event.outcome).toEqual({ result: "FAILURE", reason: `ServiceProviderConfig: ${detail}` });
    expect(event.debugContext.debugData).toMatchObject({
      operation: "testApiCredentials",
      checks: [{ name: "ServiceProviderConfig", status: "FAILURE", httpStatus: 401, classification: "AUTH_REFUSED", detail }],
    });
    expectNoLeak(event);
  });

  it("never repeats a body that is not a SCIM error (HTML, text), whatever its status", async () => {
    const { app, scim } = await provisionedApp();
    const html = `<html><body><pre>Traceback: token=${BEARER} password: ${PASSWORD}\n${JWT}</pre></body></html>`;
    await scim.fault({ path: "ServiceProviderConfig", kind: "respond", status: 500, contentType: "text/html", body: html, times: 1 });
    const serverError = await testCredentials(app.id);
    expect(serverError.checks[0]).toEqual({
      name: "ServiceProviderConfig",
      status: "FAILURE",
      httpStatus: 500,
      classification: "SERVER_ERROR",
      detail: "500 server error",
    });

    // A login page answered with 200 where SCIM was expected.
    await scim.fault({ path: "ServiceProviderConfig", kind: "respond", status: 200, contentType: "text/html", body: html, times: 1 });
    const loginPage = await testCredentials(app.id);
    expect(loginPage.checks[0]).toMatchObject({ status: "FAILURE", httpStatus: 200, classification: "NOT_SCIM" });
    expect(loginPage.checks[0].detail).toBe("200 the answer is not SCIM (a body that is not JSON)");

    // JSON, but not a ServiceProviderConfig (a JSON API that is not SCIM).
    await scim.fault({
      path: "ServiceProviderConfig",
      kind: "respond",
      status: 200,
      contentType: "application/json",
      body: JSON.stringify({ ok: true, apiKey: BEARER }),
      times: 1,
    });
    const jsonApi = await testCredentials(app.id);
    expect(jsonApi.checks[0]).toMatchObject({ status: "FAILURE", httpStatus: 200, classification: "NOT_SCIM" });

    // A chatty 403 on the user list, after a good ServiceProviderConfig.
    await scim.fault({ path: "^/Users", kind: "respond", status: 403, contentType: "text/plain", body: CHATTY, times: 1 });
    const forbidden = await testCredentials(app.id);
    expect(forbidden.checks.map((c) => [c.name, c.status])).toEqual([
      ["ServiceProviderConfig", "SUCCESS"],
      ["ListUsers", "FAILURE"],
    ]);
    expect(forbidden.checks[1]).toMatchObject({
      httpStatus: 403,
      classification: "AUTH_REFUSED",
      detail: "403 the app refused the credentials",
    });

    for (const result of [serverError, loginPage, jsonApi, forbidden]) expectNoLeak(result);
    const events = await testEvents(app.id);
    expect(events).toHaveLength(4);
    expectNoLeak(events);
  });

  it("classifies refused credentials, a wrong base URL, a timeout and a TLS failure", async () => {
    const scim = scimTenant();
    const app = await createApp();
    const connect = (baseUrl: string, token = SCIM_TOKEN) =>
      api("POST", `/api/v1/apps/${app.id}/connections/default`, { baseUrl, profile: { authScheme: "TOKEN", token } });

    // The real SCIM server refuses a wrong token.
    expect((await connect(scim.baseUrl, "wrong-token-123")).status).toBe(200);
    const refused = await testCredentials(app.id);
    expect(refused.checks.at(-1)).toMatchObject({ status: "FAILURE", httpStatus: 401, classification: "AUTH_REFUSED" });
    expect(JSON.stringify(refused)).not.toContain("wrong-token-123");

    expect((await connect(`${inject("scimOrigin")}/no/scim/here`)).status).toBe(200);
    const missing = await testCredentials(app.id);
    expect(missing.checks[0]).toEqual({
      name: "ServiceProviderConfig",
      status: "FAILURE",
      httpStatus: 404,
      classification: "NOT_FOUND",
      detail: "404 not found (check the base URL)",
    });

    expect((await connect(scim.baseUrl)).status).toBe(200);
    await scim.fault({ path: "ServiceProviderConfig", kind: "delay", delayMs: 1_500, times: 1 });
    const slow = await testCredentials(app.id);
    expect(slow.checks[0]).toEqual({
      name: "ServiceProviderConfig",
      status: "FAILURE",
      httpStatus: null,
      classification: "TIMEOUT",
      detail: "no answer within 1000 ms",
    });

    // TLS problems reach a Worker as Cloudflare's 525 (handshake failed) or 526 (invalid
    // certificate), or as a runtime error naming TLS; the injected 525 stands for the former.
    await scim.fault({ path: "ServiceProviderConfig", kind: "respond", status: 525, body: "SSL handshake failed", times: 1 });
    const tls = await testCredentials(app.id);
    expect(tls.checks[0]).toEqual({
      name: "ServiceProviderConfig",
      status: "FAILURE",
      httpStatus: 525,
      classification: "TLS",
      detail: "525 TLS handshake or certificate failed",
    });

    // https to a server that speaks plain http: local workerd reports only "internal error"
    // (its log says the handshake failed), so the check says the connection failed, without the body.
    expect((await connect(scim.baseUrl.replace(/^http:/, "https:"))).status).toBe(200);
    const handshake = await testCredentials(app.id);
    expect(handshake.checks[0]).toMatchObject({ status: "FAILURE", httpStatus: null, classification: "NETWORK" });
  });

  it("keeps credentials out of provisioning task errors and their events too", async () => {
    const { app, scim } = await provisionedApp();
    await scim.fault({
      method: "POST",
      path: "^/Users",
      kind: "respond",
      status: 400,
      contentType: "application/scim+json",
      body: scimError(400, CHATTY),
      times: 1,
    });
    const user = await createUser();
    expect((await api("POST", `/api/v1/apps/${app.id}/users`, { id: user.id })).status).toBe(200);
    const [task] = await eventually(async () => {
      const res = await api("GET", `/api/v1/apps/${app.id}/provisioning/tasks?status=FAILED`);
      return res.body.length > 0 ? res.body : undefined;
    });
    expect(task.lastError).toMatch(/^400 request refused: Invalid credentials: /);
    expectNoLeak(task);
    const filter = `eventType sw "application.provision.user" and target.id eq "${user.id}"`;
    const events = await api(
      "GET",
      `/api/v1/logs?since=${new Date(Date.now() - 120_000).toISOString()}&filter=${encodeURIComponent(filter)}`,
    );
    expect(events.body.some((e: { outcome: { result: string } }) => e.outcome.result === "FAILURE")).toBe(true);
    expectNoLeak(events.body);
  });
});
