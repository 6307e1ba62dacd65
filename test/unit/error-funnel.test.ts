import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import { DomainError, ERROR_CATALOG } from "../../src/domain/errors";
import type { AppEnv } from "../../src/http/context";
import { handleError } from "../../src/http/errors";
import { requestId } from "../../src/http/request-id";

function appThrowing(error: Error) {
  const app = new Hono<AppEnv>();
  app.use("*", requestId);
  app.get("/", () => {
    throw error;
  });
  app.onError(handleError);
  return app;
}

async function envelopeFor(error: Error) {
  const res = await appThrowing(error).request("/");
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

describe("error mapping", () => {
  it("maps every catalogued DomainError to its status and Okta envelope", async () => {
    for (const code of Object.keys(ERROR_CATALOG) as (keyof typeof ERROR_CATALOG)[]) {
      const { status, body, headers } = await envelopeFor(new DomainError(code, "detail", ["why"]));
      expect(status, code).toBe(ERROR_CATALOG[code].status);
      expect(body).toEqual({
        errorCode: code,
        errorSummary: ERROR_CATALOG[code].summary.replace("{0}", "detail"),
        errorLink: code,
        errorId: headers.get("X-Okta-Request-Id"),
        errorCauses: [{ errorSummary: "why" }],
      });
      expect(headers.get("Content-Type")).toMatch(/^application\/json/);
    }
  });

  it("maps Hono's HTTPExceptions onto Okta codes", async () => {
    expect((await envelopeFor(new HTTPException(400, { message: "Malformed JSON in request body" }))).body.errorCode).toBe("E0000003");
    expect((await envelopeFor(new HTTPException(401))).body.errorCode).toBe("E0000011");
    expect((await envelopeFor(new HTTPException(405))).body.errorCode).toBe("E0000022");
  });

  it("hides internals of unexpected errors behind E0000009", async () => {
    const { status, body } = await envelopeFor(new Error("SQLITE_ERROR: secret table layout"));
    expect(status).toBe(500);
    expect(body.errorCode).toBe("E0000009");
    expect(JSON.stringify(body)).not.toContain("SQLITE");
  });

  it("keeps code, summary and causes across RPC as JSON", () => {
    const original = DomainError.validation("scope", "scope: no group grants it");
    const copy = DomainError.fromJSON(JSON.parse(JSON.stringify(original.toJSON())));
    expect(copy).toBeInstanceOf(DomainError);
    expect([copy.code, copy.summary, copy.causes, copy.status]).toEqual([original.code, original.summary, original.causes, 400]);
    const tooLarge = DomainError.fromJSON(JSON.parse(JSON.stringify(DomainError.tooLarge(413, "body", "too big").toJSON())));
    expect([tooLarge.code, tooLarge.status]).toEqual(["E0000001", 413]);
  });

  it("answers size refusals with E0000001 envelopes and the status that names the problem", async () => {
    for (const status of [413, 414, 431] as const) {
      const res = await envelopeFor(DomainError.tooLarge(status, "body", "too big"));
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({
        errorCode: "E0000001",
        errorSummary: "Api validation failed: body",
        errorCauses: [{ errorSummary: "too big" }],
      });
    }
  });
});
