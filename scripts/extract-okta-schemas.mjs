// Extracts the schemas provisio serves from Okta's published management OpenAPI spec into the
// JSON Schema components of the OpenAPI document provisio serves (and the conformance test uses). Run: node scripts/extract-okta-schemas.mjs
// [path to management-minimal.yaml] (default ../shared/okta-openapi/management-minimal.yaml).
import { readFileSync, writeFileSync } from "node:fs";
import YAML from "yaml";

export const DEFAULT_SPEC = "../shared/okta-openapi/management-minimal.yaml";
export const OUTPUT = "src/openapi/okta-schemas.json";
const ROOTS = [
  "AppUser",
  "ApplicationGroupAssignment",
  "User",
  "Group",
  "Application",
  "ApplicationFeature",
  "GroupPushMapping",
  "ProvisioningConnectionResponse",
  "Error",
  "LogEvent",
  "ApiToken",
  "OpenIdConnectApplication",
  "OAuth2ScopeConsentGrant",
  "AssignedAppLink",
  "OAuth2ClientSecret",
];

/** The fixture's JSON text for a spec file (what the committed file must equal). */
export function extract(source = DEFAULT_SPEC) {
  const spec = YAML.parse(readFileSync(source, "utf8"));
  const all = spec.components.schemas;
  const definitions = {};

  function convert(node) {
    if (Array.isArray(node)) return node.map(convert);
    if (!node || typeof node !== "object") return node;
    const out = {};
    for (const [key, value] of Object.entries(node)) {
      // Annotations and OpenAPI-only keywords that JSON Schema validators do not take.
      if (
        key.startsWith("x-") ||
        key === "example" ||
        key === "examples" ||
        key === "discriminator" ||
        key === "externalDocs" ||
        key === "xml"
      )
        continue;
      if (key === "$ref") {
        const name = value.replace("#/components/schemas/", "");
        collect(name);
        out.$ref = `#/definitions/${name}`;
        continue;
      }
      out[key] = convert(value);
    }
    // OpenAPI 3.0's nullable becomes a JSON Schema type union.
    if (out.nullable === true) {
      delete out.nullable;
      if (typeof out.type === "string") out.type = [out.type, "null"];
      else if (out.enum) out.enum = [...out.enum, null];
      else if (!out.type) return { anyOf: [out, { type: "null" }] };
    } else {
      delete out.nullable;
    }
    return out;
  }

  function collect(name) {
    if (definitions[name]) return;
    if (!all[name]) throw new Error(`schema ${name} not in the spec`);
    definitions[name] = {};
    definitions[name] = convert(all[name]);
  }

  for (const root of ROOTS) collect(root);

  const fixture = {
    $comment:
      "Extracted by scripts/extract-okta-schemas.mjs from Okta's management OpenAPI spec (okta/okta-management-openapi-spec, dist/current/management-minimal.yaml, info.version " +
      `${spec.info.version}` +
      "), licensed Apache-2.0. OpenAPI-only keywords (discriminator, examples, x-*) are dropped and nullable becomes a type union.",
    source: "https://github.com/okta/okta-management-openapi-spec",
    license: "Apache-2.0",
    specVersion: spec.info.version,
    roots: ROOTS,
    definitions,
  };
  return `${JSON.stringify(fixture, null, 1)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = extract(process.argv[2]);
  writeFileSync(OUTPUT, text);
  console.log(`wrote ${OUTPUT} (${Object.keys(JSON.parse(text).definitions).length} schemas)`);
}
