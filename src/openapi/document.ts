import { z, type ZodType } from "zod";
import { BODY_SCHEMA, QUERY_SCHEMA } from "../http/validation";
import oktaSchemas from "./okta-schemas.json";
import { OAUTH_ERROR_SCHEMA, OPERATIONS } from "./operations";

/** What the document needs of the app's routes (Hono's `app.routes`). */
export type RouteInfo = { method: string; path: string; handler: unknown };

type Marked = Partial<Record<typeof BODY_SCHEMA | typeof QUERY_SCHEMA, ZodType>>;

const jsonSchema = (schema: ZodType) => z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;

/** The request body and query schemas the route's validators use. */
function validatorsOf(routes: RouteInfo[], method: string, path: string): { body?: ZodType; query?: ZodType } {
  const found: { body?: ZodType; query?: ZodType } = {};
  for (const route of routes) {
    if (route.method !== method || route.path.replace(/:(\w+)/g, "{$1}") !== path) continue;
    const marked = route.handler as Marked;
    found.body ??= marked[BODY_SCHEMA];
    found.query ??= marked[QUERY_SCHEMA];
  }
  return found;
}

function queryParameters(schema: ZodType | undefined) {
  if (!schema) return [];
  const object = jsonSchema(schema) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: "query",
    required: object.required?.includes(name) ?? false,
    schema: property,
  }));
}

const rewriteRefs = (value: unknown): unknown => JSON.parse(JSON.stringify(value).replaceAll('"#/definitions/', '"#/components/schemas/'));

let cached: unknown;

/** The OpenAPI 3.1 document of every endpoint, with Okta's schemas as components. */
export function openApiDocument(routes: RouteInfo[]): unknown {
  cached ??= build(routes);
  return cached;
}

function build(routes: RouteInfo[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of OPERATIONS) {
    const params = [...operation.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const validators = validatorsOf(routes, operation.method, operation.path);
    const success = operation.responseSchema
      ? { description: "Success", content: { "application/json": { schema: operation.responseSchema } } }
      : operation.response
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
      security: operation.scope ? [{ apiToken: [] }, { oauth2: [operation.scope] }] : [],
      parameters: [...params, ...queryParameters(validators.query)],
      ...(operation.requestBody ? { requestBody: operation.requestBody } : {}),
      ...(validators.body
        ? {
            requestBody: { required: operation.method !== "PUT", content: { "application/json": { schema: jsonSchema(validators.body) } } },
          }
        : {}),
      responses: {
        [operation.status]: success,
        "4XX": operation.scope
          ? { description: "Okta error envelope", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } }
          : { description: "OAuth 2.0 error (RFC 6749 §5.2)", content: { "application/json": { schema: OAUTH_ERROR_SCHEMA } } },
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
              scopes: Object.fromEntries([...new Set(OPERATIONS.flatMap((o) => (o.scope ? [o.scope] : [])))].map((s) => [s, s])),
            },
          },
        },
      },
      schemas: rewriteRefs((oktaSchemas as { definitions: unknown }).definitions),
    },
  };
}
