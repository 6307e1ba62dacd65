import { describe, expect, it } from "vitest";
import { api, createGroup, createUser, links, pathOf, unique } from "../helpers/api";

describe("POST /api/v1/users", () => {
  it("sets the status from Okta's creation table", async () => {
    expect((await createUser({}, "?activate=false")).status).toBe("STAGED");
    expect((await createUser()).status).toBe("PROVISIONED");
    const withPassword = await createUser({ credentials: { password: { value: "Sup3rSecret!" } } });
    expect(withPassword.status).toBe("ACTIVE");
    expect(withPassword.activated).toBe(withPassword.created);
  });

  it("returns Okta's User shape with write-only credentials", async () => {
    const user = await createUser({
      credentials: { password: { value: "Sup3rSecret!" }, recovery_question: { question: "Pet?", answer: "Rex" } },
    });
    expect(user.id).toMatch(/^00u[0-9A-Za-z]{17}$/);
    expect(user.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(user.credentials).toEqual({ password: {}, recovery_question: { question: "Pet?" }, provider: { type: "OKTA", name: "OKTA" } });
    expect(JSON.stringify(user)).not.toContain("Sup3rSecret!");
    expect(JSON.stringify(user)).not.toContain("Rex");
    expect(user.type.id).toMatch(/^oty/);
    expect(user._links.self.href).toBe(`http://provisio.test/api/v1/users/${user.id}`);
    expect(user._links.suspend.href).toContain("/lifecycle/suspend");
    expect(user._links.activate).toBeUndefined();
  });

  it("refuses a login that is taken, whatever its case", async () => {
    const user = await createUser();
    const res = await api("POST", "/api/v1/users", {
      profile: { firstName: "A", lastName: "B", email: "x@example.com", login: user.profile.login.toUpperCase() },
    });
    expect(res.status).toBe(400);
    expect(res.body.errorCode).toBe("E0000001");
    expect(res.body.errorCauses[0].errorSummary).toContain("already exists");
  });

  it("adds the user to groupIds, and refuses unknown groups without creating the user", async () => {
    const group = await createGroup();
    const user = await createUser({ groupIds: [group.id] });
    const groups = await api("GET", `/api/v1/users/${user.id}/groups`);
    expect(groups.body.map((g: { id: string }) => g.id)).toEqual([group.id]);

    const login = `${unique()}@example.com`;
    const bad = await api("POST", "/api/v1/users", {
      profile: { firstName: "A", lastName: "B", email: login, login },
      groupIds: ["00gnotthere"],
    });
    expect(bad.status).toBe(400);
    expect((await api("GET", `/api/v1/users/${login}`)).status).toBe(404);
  });
});

describe("GET /api/v1/users/{idOrLogin}", () => {
  it("finds a user by id, by login in any case and by unambiguous short login", async () => {
    const user = await createUser();
    const short = user.profile.login.split("@")[0];
    for (const key of [user.id, user.profile.login, user.profile.login.toUpperCase(), short]) {
      const res = await api("GET", `/api/v1/users/${encodeURIComponent(key)}`);
      expect(res.status, key).toBe(200);
      expect(res.body.id).toBe(user.id);
    }
    const missing = await api("GET", "/api/v1/users/nobody@example.com");
    expect(missing.status).toBe(404);
    expect(missing.body.errorSummary).toBe("Not found: Resource not found: nobody@example.com (User)");
  });
});

describe("updating users", () => {
  it("merges a partial profile on POST and replaces it on PUT", async () => {
    const user = await createUser({ profile: { department: "Eng", title: "Dev" } });
    const partial = await api("POST", `/api/v1/users/${user.id}`, { profile: { title: "Lead" } });
    expect(partial.status).toBe(200);
    expect(partial.body.profile).toMatchObject({ department: "Eng", title: "Lead", login: user.profile.login });

    const { department: _d, title: _t, ...base } = user.profile;
    const replaced = await api("PUT", `/api/v1/users/${user.id}`, { profile: { ...base, city: "Oslo" } });
    expect(replaced.status).toBe(200);
    expect(replaced.body.profile.department).toBeUndefined();
    expect(replaced.body.profile.city).toBe("Oslo");
    expect(Date.parse(replaced.body.lastUpdated)).toBeGreaterThanOrEqual(Date.parse(user.lastUpdated));
  });

  it("requires the full base profile on PUT", async () => {
    const user = await createUser();
    const res = await api("PUT", `/api/v1/users/${user.id}`, { profile: { city: "Oslo" } });
    expect(res.status).toBe(400);
    expect(res.body.errorCode).toBe("E0000001");
  });

  it("refuses to move a login onto another user's login", async () => {
    const [a, b] = [await createUser(), await createUser()];
    const res = await api("POST", `/api/v1/users/${a.id}`, { profile: { login: b.profile.login } });
    expect(res.status).toBe(400);
    expect((await api("GET", `/api/v1/users/${a.id}`)).body.profile.login).toBe(a.profile.login);
  });
});

describe("user lifecycle", () => {
  const lifecycle = (id: string, op: string) => api("POST", `/api/v1/users/${id}/lifecycle/${op}`);

  it("walks STAGED -> PROVISIONED -> ... -> DEPROVISIONED with Okta's allowed-state rules", async () => {
    const user = await createUser({}, "?activate=false");
    expect((await lifecycle(user.id, "suspend")).body.errorCode).toBe("E0000001");
    expect((await lifecycle(user.id, "activate")).status).toBe(200);
    expect((await api("GET", `/api/v1/users/${user.id}`)).body.status).toBe("PROVISIONED");
    expect((await lifecycle(user.id, "reactivate")).status).toBe(200);
    const deactivated = await lifecycle(user.id, "deactivate");
    expect(deactivated.status).toBe(200);
    expect((await api("GET", `/api/v1/users/${user.id}`)).body.status).toBe("DEPROVISIONED");
    const again = await lifecycle(user.id, "deactivate");
    expect(again.status).toBe(403);
    expect(again.body.errorCode).toBe("E0000038");
  });

  it("suspends and unsuspends active users only, and refuses to activate an active user", async () => {
    const user = await createUser({ credentials: { password: { value: "Sup3rSecret!" } } });
    const activate = await lifecycle(user.id, "activate");
    expect(activate.status).toBe(403);
    expect(activate.body.errorCode).toBe("E0000016");
    expect((await lifecycle(user.id, "suspend")).status).toBe(200);
    expect((await api("GET", `/api/v1/users/${user.id}`)).body.status).toBe("SUSPENDED");
    expect((await lifecycle(user.id, "suspend")).status).toBe(400);
    expect((await lifecycle(user.id, "unsuspend")).status).toBe(200);
    expect((await api("GET", `/api/v1/users/${user.id}`)).body.status).toBe("ACTIVE");
  });

  it("answers an unknown lifecycle operation with 404", async () => {
    const user = await createUser();
    expect((await lifecycle(user.id, "explode")).status).toBe(404);
  });

  it("deactivates on the first DELETE and deletes on the second", async () => {
    const user = await createUser();
    expect((await api("DELETE", `/api/v1/users/${user.id}`)).status).toBe(204);
    expect((await api("GET", `/api/v1/users/${user.id}`)).body.status).toBe("DEPROVISIONED");
    expect((await api("DELETE", `/api/v1/users/${user.id}?sendEmail=false`)).status).toBe(204);
    expect((await api("GET", `/api/v1/users/${user.id}`)).status).toBe(404);
  });
});

describe("GET /api/v1/users", () => {
  it("pages with an opaque cursor and Link headers that keep every parameter", async () => {
    const lastName = unique("Page");
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await createUser({ profile: { lastName } }));
    const seen: string[] = [];
    let path: string | undefined = `/api/v1/users?search=${encodeURIComponent(`profile.lastName eq "${lastName}"`)}&limit=2`;
    let pages = 0;
    while (path) {
      const res = await api("GET", path);
      expect(res.status).toBe(200);
      expect(res.body.length).toBeLessThanOrEqual(2);
      for (const u of res.body) {
        seen.push(u.id);
        expect(Object.keys(u._links)).toEqual(["self"]);
      }
      const link = links(res.headers);
      expect(link.self).toBe(`http://provisio.test${path}`);
      if (link.next) {
        const next = new URL(link.next);
        expect(next.searchParams.get("limit")).toBe("2");
        expect(next.searchParams.get("search")).toBe(`profile.lastName eq "${lastName}"`);
      }
      path = link.next ? pathOf(link.next) : undefined;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(made.map((u) => u.id));
  });

  it("filters on status and profile attributes, and refuses filter with search", async () => {
    const lastName = unique("Filt");
    const staged = await createUser({ profile: { lastName } }, "?activate=false");
    await createUser({ profile: { lastName } });
    const filter = encodeURIComponent(`status eq "STAGED" and profile.lastName eq "${lastName}"`);
    const res = await api("GET", `/api/v1/users?filter=${filter}`);
    expect(res.body.map((u: { id: string }) => u.id)).toEqual([staged.id]);

    const both = await api("GET", `/api/v1/users?filter=${filter}&search=${filter}`);
    expect(both.status).toBe(400);
    expect(both.body.errorCode).toBe("E0000033");

    const unsupported = await api("GET", `/api/v1/users?filter=${encodeURIComponent('profile.city eq "Oslo"')}`);
    expect(unsupported.status).toBe(400);
    expect(unsupported.body.errorCode).toBe("E0000031");
  });

  it("searches with sw and co, and on custom profile attributes", async () => {
    const dept = unique("Dept");
    const user = await createUser({ profile: { firstName: "Zebulon", department: dept } });
    const sw = await api("GET", `/api/v1/users?search=${encodeURIComponent(`profile.department sw "${dept.slice(0, 8)}"`)}`);
    expect(sw.body.map((u: { id: string }) => u.id)).toEqual([user.id]);
    const co = await api("GET", `/api/v1/users?search=${encodeURIComponent(`profile.lastName co "${user.profile.lastName.slice(2)}"`)}`);
    expect(co.body.map((u: { id: string }) => u.id)).toEqual([user.id]);
  });

  it("matches q against the start of firstName, lastName and email and hides DEPROVISIONED users", async () => {
    const user = await createUser();
    const gone = await createUser({ profile: { lastName: `${user.profile.lastName}x` } });
    await api("POST", `/api/v1/users/${gone.id}/lifecycle/deactivate`);
    const res = await api("GET", `/api/v1/users?q=${user.profile.lastName}`);
    expect(res.body.map((u: { id: string }) => u.id)).toEqual([user.id]);
    const byStatus = await api("GET", `/api/v1/users?filter=${encodeURIComponent(`status eq "DEPROVISIONED" and id eq "${gone.id}"`)}`);
    expect(byStatus.body).toHaveLength(1);
  });

  it("refuses a limit that is not a number", async () => {
    const res = await api("GET", "/api/v1/users?limit=lots");
    expect(res.status).toBe(400);
    expect(res.body.errorCode).toBe("E0000001");
  });
});
