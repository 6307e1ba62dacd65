import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, it } from "vitest";

// `npm run demo` is the README walkthrough; it must keep working end to end.
it("runs the walkthrough: catalog, provision, update, deactivate, import, trip a safeguard, app links", async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ["scripts/demo.mjs"], { timeout: 120_000 });
  expect(stdout).toContain("ok: provisioned downstream");
  expect(stdout).toContain("ok: downstream active: false");
  expect(stdout).toMatch(/PAUSED_SAFEGUARD before any change/);
  expect(stdout).toContain("from the catalog (scim2testapp)");
  expect(stdout).toMatch(/ok: 1 app link\(s\)\n\s+0\. Demo SCIM app \w+ \(scim2testapp\): http:\/\/127\.0\.0\.1:\d+\/home\/scim2testapp\//);
  expect(stdout).toContain("Demo complete.");
}, 150_000);
