import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/domain/errors";
import { checkDownstreamUrl, hostKind } from "../../src/provisioning/downstream-url";
import { Pacer } from "../../src/provisioning/pacer";
import { retryDelay } from "../../src/provisioning/retry-policy";
import { retryAfter } from "../../src/provisioning/scim-client";
import { randomPassword, scimUserPayload } from "../../src/provisioning/scim-user";

describe("downstream URL guard", () => {
  it("classifies hosts", () => {
    expect(["localhost", "127.0.0.1", "127.9.9.9", "[::1]", "0.0.0.0", "localhost.", "[::]"].map(hostKind)).toEqual(
      Array(7).fill("loopback"),
    );
    // The URL parser writes IPv4-mapped addresses in hex: they are still the IPv4 address.
    expect([new URL("https://[::ffff:127.0.0.1]/").hostname, new URL("https://[::ffff:169.254.169.254]/").hostname].map(hostKind)).toEqual([
      "loopback",
      "link-local",
    ]);
    expect(hostKind("db.internal.")).toBe("private");
    expect(["10.1.2.3", "172.16.0.1", "172.31.255.1", "192.168.1.1", "100.64.0.1", "[fd00::1]", "db.internal"].map(hostKind)).toEqual(
      Array(7).fill("private"),
    );
    expect(["169.254.169.254", "[fe80::1]"].map(hostKind)).toEqual(["link-local", "link-local"]);
    expect(["scim.example.com", "8.8.8.8", "172.32.0.1"].map(hostKind)).toEqual(["public", "public", "public"]);
  });

  it("allows only https to public hosts in production, and loopback/private http in local dev", () => {
    const code = (url: string, access: "public" | "local") => {
      try {
        checkDownstreamUrl(url, access);
        return "ok";
      } catch (error) {
        return (error as DomainError).code;
      }
    };
    expect(code("https://scim.example.com/v2", "public")).toBe("ok");
    for (const url of [
      "http://scim.example.com/v2",
      "https://127.0.0.1/scim",
      "https://10.0.0.5/scim",
      "https://169.254.169.254/",
      "https://[::1]/",
    ]) {
      expect(code(url, "public"), url).toBe("E0000001");
    }
    expect(code("http://127.0.0.1:8788/scim/v2", "local")).toBe("ok");
    expect(code("http://192.168.1.20/scim", "local")).toBe("ok");
    expect(code("http://scim.example.com/v2", "local")).toBe("E0000001");
    // Cloud metadata services are never a target, not even in local development.
    expect(code("http://169.254.169.254/latest/meta-data/", "local")).toBe("E0000001");
    expect(code("http://[fe80::1]/", "local")).toBe("E0000001");
    expect(code("https://user:pw@scim.example.com/", "public")).toBe("E0000001");
  });
});

describe("retry policy", () => {
  it("waits Retry-After (seconds or HTTP date) on 429, else 5 minutes, doubling", () => {
    expect(retryAfter("7")).toBe(7_000);
    expect(retryAfter(new Date(Date.now() + 30_000).toUTCString())).toBeGreaterThan(28_000);
    expect(retryAfter("soon")).toBeUndefined();
    expect(retryDelay({ status: 429, retryAfterMs: 2_000 }, 1)).toBe(2_000);
    expect(retryDelay({ status: 429, retryAfterMs: 2_000 }, 3)).toBe(8_000);
    expect(retryDelay({ status: 429 }, 1)).toBe(300_000);
    expect(retryDelay({ status: 429 }, 2)).toBe(600_000);
  });

  it("backs off exponentially with jitter on 5xx and network errors, capped at an hour", () => {
    const low = { baseMs: 1_000, random: () => 0 };
    const high = { baseMs: 1_000, random: () => 1 };
    expect([1, 2, 3].map((n) => retryDelay({ status: 503 }, n, low))).toEqual([500, 1_000, 2_000]);
    expect([1, 2, 3].map((n) => retryDelay({ status: null }, n, high))).toEqual([1_000, 2_000, 4_000]);
    expect(retryDelay({ status: 500 }, 30, high)).toBe(3_600_000);
  });
});

describe("pacer", () => {
  it("hands out slots at the configured rate, and none when unpaced", async () => {
    const pacer = new Pacer(50);
    const started = Date.now();
    await Promise.all(Array.from({ length: 6 }, () => pacer.take()));
    expect(Date.now() - started).toBeGreaterThanOrEqual(95); // 5 intervals of 20 ms
    const free = new Pacer(0);
    const t = Date.now();
    await Promise.all(Array.from({ length: 100 }, () => free.take()));
    expect(Date.now() - t).toBeLessThan(20);
  });
});

describe("SCIM payloads", () => {
  it("generates Okta-style 16-character passwords with every character class", () => {
    for (let i = 0; i < 200; i++) {
      const password = randomPassword();
      expect(password).toMatch(/^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)[A-Za-z\d]{16}$/);
    }
  });

  it("maps names and email, and sends custom attributes only with an externalName", () => {
    const payload = scimUserPayload({
      userName: "rae",
      appProfile: { department: "Eng", costCenter: "42", nickName: "R" },
      oktaProfile: { firstName: "Rae", lastName: "Cloud", email: "rae@example.com" },
      attributes: {
        department: {
          title: "Dept",
          type: "string",
          externalName: "department",
          externalNamespace: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        },
        nickName: { title: "Nick", type: "string", externalName: "nickName" },
        costCenter: { title: "Cost", type: "string" },
      },
    });
    expect(payload).toEqual({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
      userName: "rae",
      name: { givenName: "Rae", familyName: "Cloud" },
      displayName: "Rae Cloud",
      emails: [{ value: "rae@example.com", type: "work", primary: true }],
      nickName: "R",
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { department: "Eng" },
    });
  });
});
