import { z } from "zod";
import { assignAppUserSchema } from "../wire/app-user";
import { applicationSchema } from "../wire/app";
import { groupAssignmentSchema, jsonPatchSchema } from "../wire/app-group";
import { groupBodySchema } from "../wire/group";
import { createPushMappingSchema } from "../wire/group-push";
import { capabilitiesPatchSchema } from "../provisioning/capabilities";
import { inboundPatchSchema } from "../imports/inbound-settings";
import { connectionRequestSchema } from "../wire/provisioning";
import { createUserSchema, partialUserSchema } from "../wire/user";
import oktaSchemas from "./okta-schemas.json";
import { OPERATIONS } from "./operations";

// Request bodies as provisio validates them (zod, converted to JSON Schema).
const REQUESTS: Record<string, z.ZodType> = {
  CreateUserRequest: createUserSchema,
  UpdateUserRequest: partialUserSchema,
  Group: groupBodySchema,
  Application: applicationSchema,
  AppUser: assignAppUserSchema,
  ApplicationGroupAssignment: groupAssignmentSchema,
  JsonPatch: jsonPatchSchema,
  ConnectionRequest: connectionRequestSchema,
  CapabilitiesObject: capabilitiesPatchSchema,
  InboundProvisioningPatch: inboundPatchSchema,
  GroupPushMapping: createPushMappingSchema,
};

function requestSchema(name: string): unknown {
  return z.toJSONSchema(REQUESTS[name], { io: "input", unrepresentable: "any" });
}

const rewriteRefs = (value: unknown): unknown => JSON.parse(JSON.stringify(value).replaceAll('"#/definitions/', '"#/components/schemas/'));

let cached: unknown;

/** The OpenAPI 3.1 document of every endpoint, with Okta's schemas as components. */
export function openApiDocument(): unknown {
  cached ??= build();
  return cached;
}

function build() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of OPERATIONS) {
    const params = [...operation.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const success = operation.response
      ? {
          description: "Success",
          content: {
            "application/json": {
              schema: operation.list
                ? { type: "array", items: { $ref: `#/components/schemas/${operation.response}` } }
                : { $ref: `#/components/schemas/${operation.response}` },
            },
          },
        }
      : { description: operation.status === 204 ? "No Content" : "Success" };
    (paths[operation.path] ??= {})[operation.method.toLowerCase()] = {
      operationId: operation.operationId,
      summary: operation.summary,
      tags: [operation.tag],
      ...(operation.extension ? { "x-provisio-extension": true } : {}),
      security: [{ apiToken: [] }, { oauth2: [operation.scope] }],
      parameters: params,
      ...(operation.request
        ? {
            requestBody: {
              required: operation.method !== "PUT",
              content: { "application/json": { schema: requestSchema(operation.request) } },
            },
          }
        : {}),
      responses: {
        [operation.status]: success,
        "4XX": { description: "Okta error envelope", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "provisio",
      version: "0.1.0",
      description:
        "An Okta-compatible service for app assignments and provisioning. Operations with Okta's operationIds follow Okta's management API; those tagged \"provisio extensions\" are provisio's own. Schemas under components come from Okta's published spec (Apache-2.0).",
    },
    tags: [{ name: "provisio extensions", description: "Endpoints Okta keeps in its Admin Console only." }],
    paths,
    components: {
      securitySchemes: {
        apiToken: { type: "apiKey", in: "header", name: "Authorization", description: "SSWS {API token}" },
        oauth2: {
          type: "oauth2",
          flows: {
            clientCredentials: {
              tokenUrl: "/oauth2/v1/token",
              scopes: Object.fromEntries([...new Set(OPERATIONS.map((o) => o.scope))].map((s) => [s, s])),
            },
          },
        },
      },
      schemas: rewriteRefs((oktaSchemas as { definitions: unknown }).definitions),
    },
  };
}
