import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { insertToken } from "../../src/db/queries/api-tokens";
import { hashToken } from "../../src/crypto/token-hash";
import { newId } from "../../src/domain/ids";
import { api, createUser, ORIGIN, unique } from "../helpers/api";

const as = (token: string) => ({ Authorization: `SSWS ${token}` });

async function mint(body: Record<string, unknown> = { name: unique("token ") }) {
  const res = await api("POST", "/api/v1/api-tokens", body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; name: string; token: string };
}

describe("API tokens", () => {
  it("lists the bootstrap token, seeded on its first use, in Okta's ApiToken shape", async () => {
    const res = await api("GET", "/api/v1/api-tokens");
    expect(res.status).toBe(200);
    const bootstrap = res.body.find((t: { name: string }) => t.name === "bootstrap");
    expect(bootstrap).toMatchObject({
      id: expect.stringMatching(/^00T[0-9A-Za-z]{17}$/),
      name: "bootstrap",
      clientName: "provisio",
      created: expect.any(String),
      lastUpdated: expect.any(String),
      tokenWindow: "P30D",
      network: { connection: "ANYWHERE" },
      _links: { self: { href: `${ORIGIN}/api/v1/api-tokens/${bootstrap.id}`, hints: { allow: ["GET", "DELETE"] } } },
    });
    // The bootstrap token does not expire: it is replaced by rotating BOOTSTRAP_API_TOKEN.
    expect(bootstrap.expiresAt).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toContain("test-bootstrap-token");
  });

  it("mints a token whose value is shown once, works, and is stored only as its SHA-256 hash", async () => {
    const user = await createUser();
    const minted = await mint({ name: "Terraform", userId: user.id });
    expect(minted.token).toMatch(/^00[A-Za-z0-9_-]{40}$/);
    const expiresAt = Date.parse((minted as unknown as { expiresAt: string }).expiresAt);
    expect(expiresAt - Date.now()).toBeGreaterThan(29 * 24 * 3_600_000);

    const used = await api("GET", `/api/v1/users/${user.id}`, undefined, as(minted.token));
    expect(used.status).toBe(200);

    const got = await api("GET", `/api/v1/api-tokens/${minted.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      id: minted.id,
      name: "Terraform",
      userId: user.id,
      _links: { user: { href: `${ORIGIN}/api/v1/users/${user.id}` } },
    });
    expect(got.body.token).toBeUndefined();
    const listed = await api("GET", "/api/v1/api-tokens");
    expect(listed.body.map((t: { id: string }) => t.id)).toContain(minted.id);
    expect(JSON.stringify(listed.body)).not.toContain(minted.token);

    const row = await env.DB.prepare("SELECT * FROM api_tokens WHERE id = ?").bind(minted.id).first<Record<string, unknown>>();
    expect(row!.token_hash).toBe(await hashToken(minted.token));
    expect(JSON.stringify(row)).not.toContain(minted.token);
  });

  it("revokes a token by id: 204, then 401 E0000011 for it and 404 for its metadata", async () => {
    const minted = await mint();
    expect((await api("GET", "/api/v1/groups?limit=1", undefined, as(minted.token))).status).toBe(200);
    const revoked = await api("DELETE", `/api/v1/api-tokens/${minted.id}`);
    expect(revoked.status).toBe(204);
    const refused = await api("GET", "/api/v1/groups?limit=1", undefined, as(minted.token));
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ errorCode: "E0000011", errorSummary: "Invalid token provided", errorCauses: [] });
    expect((await api("GET", `/api/v1/api-tokens/${minted.id}`)).status).toBe(404);
    expect((await api("DELETE", `/api/v1/api-tokens/${minted.id}`)).body.errorCode).toBe("E0000007");
    const listed = await api("GET", "/api/v1/api-tokens");
    expect(listed.body.map((t: { id: string }) => t.id)).not.toContain(minted.id);
  });

  it("revokes the calling token with DELETE /api/v1/api-tokens/current", async () => {
    const minted = await mint();
    const res = await api("DELETE", "/api/v1/api-tokens/current", undefined, as(minted.token));
    expect(res.status).toBe(204);
    expect((await api("GET", "/api/v1/users?limit=1", undefined, as(minted.token))).status).toBe(401);
    // The bootstrap token is untouched.
    expect((await api("GET", "/api/v1/users?limit=1")).status).toBe(200);
  });

  it("renames a token with PUT and refuses network zones it does not model", async () => {
    const minted = await mint();
    const renamed = await api("PUT", `/api/v1/api-tokens/${minted.id}`, { name: "renamed", network: { connection: "ANYWHERE" } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: minted.id, name: "renamed" });
    const zoned = await api("PUT", `/api/v1/api-tokens/${minted.id}`, { name: "x", network: { connection: "ZONE", include: ["nzo1"] } });
    expect(zoned.status).toBe(400);
    expect(zoned.body.errorCode).toBe("E0000001");
  });

  it("refuses bad input with Okta's envelope", async () => {
    const noName = await api("POST", "/api/v1/api-tokens", {});
    expect(noName.status).toBe(400);
    expect(noName.body.errorCode).toBe("E0000001");
    const blank = await api("POST", "/api/v1/api-tokens", { name: "   " });
    expect(blank.status).toBe(400);
    const nobody = await api("POST", "/api/v1/api-tokens", { name: "x", userId: "00unobody" });
    expect(nobody.status).toBe(400);
    expect(nobody.body.errorCauses[0].errorSummary).toContain("00unobody");
    expect((await api("GET", "/api/v1/api-tokens/00Tnothing")).status).toBe(404);
  });

  it("refuses a token whose window has passed without use", async () => {
    const value = `00${crypto.randomUUID().replace(/-/g, "")}`;
    const long = new Date(Date.now() - 40 * 24 * 3_600_000);
    await insertToken(createDb(env.DB), {
      id: newId("00T"),
      name: "stale",
      tokenHash: await hashToken(value),
      userId: null,
      clientName: "provisio",
      bootstrap: false,
      status: "ACTIVE",
      network: { connection: "ANYWHERE" },
      created: long,
      lastUpdated: long,
      lastUsed: long,
      expiresAt: new Date(long.getTime() + 30 * 24 * 3_600_000),
    });
    expect((await api("GET", "/api/v1/users?limit=1", undefined, as(value))).status).toBe(401);
  });

  it("records minting and revocation in the System Log without the token", async () => {
    const minted = await mint();
    await api("DELETE", `/api/v1/api-tokens/${minted.id}`);
    const logs = await api(
      "GET",
      `/api/v1/logs?filter=${encodeURIComponent('eventType eq "system.api_token.revoke"')}&sortOrder=DESCENDING`,
    );
    expect(logs.body.some((e: { target: { id: string }[] }) => e.target[0]?.id === minted.id)).toBe(true);
    const created = await api(
      "GET",
      `/api/v1/logs?filter=${encodeURIComponent('eventType eq "system.api_token.create"')}&sortOrder=DESCENDING`,
    );
    const event = created.body.find((e: { target: { id: string }[] }) => e.target[0]?.id === minted.id);
    expect(event).toMatchObject({ actor: { type: "Token" }, outcome: { result: "SUCCESS" } });
    expect(JSON.stringify(created.body)).not.toContain(minted.token);
  });
});
