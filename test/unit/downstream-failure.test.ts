import { describe, expect, it } from "vitest";
import { redactCredentials } from "../../src/provisioning/credential-redaction";
import { httpFailure, noAnswerFailure, scimErrorDetail } from "../../src/provisioning/downstream-failure";

const JWT =
  "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL2V4YW1wbGUuY29tIiwic3ViIjoiMTIzIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU";

describe("redactCredentials", () => {
  it.each([
    ["Authorization: Bearer abc123def456ghi", "Bearer abc123def456ghi"],
    ["header was Basic c2NpbS1hZG1pbjpzY2ltLXNlY3JldA==", "c2NpbS1hZG1pbjpzY2ltLXNlY3JldA=="],
    ["SSWS 00abcDEF123ghiJKL456mnoPQR789", "00abcDEF123ghiJKL456mnoPQR789"],
    [`token expired: ${JWT}`, JWT.split(".")[1]],
    ["login failed password=hunter2 for bob", "hunter2"],
    ['{"user":"bob","password":"hunter2","ok":false}', "hunter2"],
    ["client_secret: 'p@ss w0rd'", "p@ss w0rd"],
    ["api_key=abcd1234", "abcd1234"],
    ["X-Api-Key: 7f3a9c", "7f3a9c"],
    ["retry against https://admin:s3cret@scim.example.com/v2", "s3cret"],
    ["opaque 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 here", "9f86d081884c7d659a2feaa0c55ad015"],
  ])("takes the credential out of %j", (text, secret) => {
    const out = redactCredentials(text);
    expect(out).not.toContain(secret);
    expect(out).toContain("[redacted]");
  });

  it("takes out the connection's own secrets by value, keeps ordinary words, drops control characters and caps the length", () => {
    expect(redactCredentials("you sent demo-scim-token, which we do not know", ["demo-scim-token"])).toBe(
      "you sent [redacted], which we do not know",
    );
    expect(redactCredentials("Basic authentication failed: Token expired")).toBe("Basic authentication failed: Token expired");
    expect(redactCredentials("User 2819c223 not found")).toBe("User 2819c223 not found");
    expect(redactCredentials("line one\nline\u0000two")).toBe("line one line two");
    expect(redactCredentials("x".repeat(500))).toHaveLength(200);
  });
});

describe("classifying a downstream failure", () => {
  it("reads the detail of SCIM errors only", () => {
    expect(scimErrorDetail({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], detail: "nope" })).toBe("nope");
    expect(scimErrorDetail({ status: "400", detail: "bad filter" })).toBe("bad filter");
    expect(scimErrorDetail({ detail: "not claimed to be SCIM" })).toBeUndefined();
    expect(scimErrorDetail("text")).toBeUndefined();
  });

  it.each([
    [401, "AUTH_REFUSED"],
    [403, "AUTH_REFUSED"],
    [404, "NOT_FOUND"],
    [429, "RATE_LIMITED"],
    [302, "REDIRECT"],
    [409, "REJECTED"],
    [502, "SERVER_ERROR"],
    [525, "TLS"],
    [526, "TLS"],
  ])("classifies HTTP %i as %s", (status, kind) => {
    expect(httpFailure(status, undefined).kind).toBe(kind);
  });

  it("tells timeouts, TLS failures and other network errors apart, redacting the runtime's message", () => {
    const timeout = new Error("signal timed out");
    timeout.name = "TimeoutError";
    expect(noAnswerFailure(timeout, 1000)).toEqual({ kind: "TIMEOUT", status: null, reason: "no answer within 1000 ms" });
    expect(noAnswerFailure(new Error("TLS handshake failed: certificate has expired"), 1000).kind).toBe("TLS");
    expect(noAnswerFailure(new Error("SSL peer certificate or SSH remote key was not OK"), 1000).kind).toBe("TLS");
    const network = noAnswerFailure(new Error("connect ECONNREFUSED with Bearer abc123def456"), 1000);
    expect(network.kind).toBe("NETWORK");
    expect(network.reason).not.toContain("abc123def456");
  });
});
