// A SCIM 2.0 service provider for the benchmarks, in its own process: users in memory, an
// optional fixed answer delay, and counters of what provisio asked of it. Only what provisio's
// client uses: ServiceProviderConfig, Users list (startIndex/count, `userName eq` filter),
// create (409 on a taken userName), get, PATCH, PUT. Started by bench/lib/scim.mjs.
//   node bench/lib/scim-server.mjs --users 100000 --delay 10 --token T   (prints {"port":N})
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    users: { type: "string", default: "0" },
    delay: { type: "string", default: "0" },
    token: { type: "string", default: "bench-scim-token" },
  },
});
const DELAY_MS = Number(values.delay);
const byId = new Map();
const byUserName = new Map();
const counters = { requests: 0, creates: 0, conflicts: 0, listPages: 0, searches: 0, updates: 0, createTimes: [], requestTimes: [] };

// The listing as an array, rebuilt only after a write (pages of 100 over 100,000 users).
let listing;
function store(user) {
  byId.set(user.id, user);
  byUserName.set(user.userName, user);
  listing = undefined;
}
for (let n = 1; n <= Number(values.users); n += 1) {
  const email = `imported${n}@example.com`;
  store({
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    id: `ext-${String(n).padStart(7, "0")}`,
    userName: email,
    name: { givenName: `Given${n}`, familyName: `Family${n}` },
    emails: [{ value: email, primary: true, type: "work" }],
    active: true,
  });
}

const listResponse = (resources, startIndex, total) => ({
  schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
  totalResults: total,
  startIndex,
  itemsPerPage: resources.length,
  Resources: resources,
});

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
}

function send(res, status, body) {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/scim+json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, "http://scim");
  if (url.pathname === "/__stats") {
    const userNames = new Set([...byId.values()].map((u) => u.userName));
    return send(res, 200, { ...counters, accounts: byId.size, distinctUserNames: userNames.size });
  }
  counters.requests += 1;
  counters.requestTimes.push(Date.now());
  if (req.headers.authorization !== `Bearer ${values.token}`) return send(res, 401, { status: "401", detail: "bad token" });
  if (DELAY_MS > 0) await new Promise((r) => setTimeout(r, DELAY_MS));
  const path = url.pathname.replace(/^\/scim\/v2/, "");
  if (path === "/ServiceProviderConfig")
    return send(res, 200, { patch: { supported: true }, filter: { supported: true, maxResults: 200 } });
  if (path === "/Users" && req.method === "GET") {
    const filter = /^userName eq "(.*)"$/.exec(url.searchParams.get("filter") ?? "");
    if (filter) {
      counters.searches += 1;
      const found = byUserName.get(filter[1]);
      return send(res, 200, listResponse(found ? [found] : [], 1, found ? 1 : 0));
    }
    counters.listPages += 1;
    const startIndex = Math.max(1, Number(url.searchParams.get("startIndex") ?? 1));
    const count = Math.min(200, Number(url.searchParams.get("count") ?? 100));
    listing ??= [...byId.values()];
    return send(res, 200, listResponse(listing.slice(startIndex - 1, startIndex - 1 + count), startIndex, listing.length));
  }
  if (path === "/Users" && req.method === "POST") {
    const body = await readJson(req);
    if (byUserName.has(body.userName)) {
      counters.conflicts += 1;
      return send(res, 409, { schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "409", scimType: "uniqueness" });
    }
    counters.creates += 1;
    counters.createTimes.push(Date.now());
    // A password is write-only in SCIM: kept out of what is stored and returned.
    const user = { ...body, id: randomUUID() };
    delete user.password;
    store(user);
    return send(res, 201, user);
  }
  const one = /^\/Users\/([^/]+)$/.exec(path);
  const user = one && byId.get(one[1]);
  if (!user) return send(res, 404, { status: "404" });
  if (req.method === "GET") return send(res, 200, user);
  if (req.method === "PUT" || req.method === "PATCH") {
    counters.updates += 1;
    const body = await readJson(req);
    if (req.method === "PUT") Object.assign(user, body, { id: user.id });
    else for (const op of body.Operations ?? []) if (op.path) user[op.path] = op.value;
    return send(res, 200, user);
  }
  return send(res, 405, { status: "405" });
});

server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
