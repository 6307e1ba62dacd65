import { z } from "zod";
import { DomainError } from "../domain/errors";

// The app user schema: Okta's base attributes plus the app's custom ones, with the rules for
// changing them and for checking app-user profile values against them.

type Json = Record<string, unknown>;
export type AttributeType = "string" | "boolean" | "number" | "integer" | "array";
export type AttributeDef = Json & { title: string; type: AttributeType; scope?: "SELF" | "NONE"; required?: boolean };

export const BASE_ATTRIBUTES: Record<string, AttributeDef> = {
  userName: {
    title: "Username",
    type: "string",
    required: true,
    scope: "NONE",
    maxLength: 100,
    mutability: "READ_WRITE",
    master: { type: "PROFILE_MASTER" },
  },
};

// Names Okta reserves for attributes (help.okta.com, "About profiles").
const RESERVED = new Set([
  "id",
  "profile",
  "status",
  "transitioningtostatus",
  "created",
  "activated",
  "statuschanged",
  "lastlogin",
  "lastupdated",
  "passwordchanged",
  "type",
  "realm",
  "realmid",
  "password",
  "credentials",
  "_links",
  "_embedded",
  "class",
  "classloader",
]);

const TYPES = ["string", "boolean", "number", "integer", "array"] as const;

export const attributeDefSchema = z
  .object({
    title: z.string().min(1).max(255),
    type: z.enum(TYPES),
    description: z.string().max(1024).optional(),
    items: z
      .object({ type: z.enum(["string", "number", "integer"]) })
      .catchall(z.unknown())
      .optional(),
    enum: z
      .array(z.union([z.string(), z.number()]))
      .max(1000)
      .optional(),
    oneOf: z
      .array(z.object({ const: z.union([z.string(), z.number()]), title: z.string() }))
      .max(1000)
      .optional(),
    minLength: z.number().int().min(0).optional(),
    maxLength: z.number().int().min(1).optional(),
    required: z.boolean().optional(),
    scope: z.enum(["SELF", "NONE"]).optional(),
  })
  .catchall(z.unknown());

/**
 * Applies a partial update of the custom definitions (Okta: "You must set properties
 * explicitly to null to remove them"). A posted attribute is merged over its current
 * definition, so a client may post back the whole schema it read.
 */
export function mergeCustomAttributes(
  current: Record<string, AttributeDef>,
  posted: Record<string, unknown>,
): { next: Record<string, AttributeDef>; removed: string[] } {
  const next = { ...current };
  const removed: string[] = [];
  const causes: string[] = [];
  for (const [name, def] of Object.entries(posted)) {
    if (def === null) {
      if (name in next) {
        delete next[name];
        removed.push(name);
      }
      continue;
    }
    if (!/^[A-Za-z][A-Za-z0-9_]{0,99}$/.test(name))
      causes.push(`${name}: names start with a letter and hold letters, digits and _ (at most 100)`);
    else if (RESERVED.has(name.toLowerCase()) || name in BASE_ATTRIBUTES) causes.push(`${name}: the name is reserved`);
    const parsed = attributeDefSchema.safeParse({ ...(next[name] ?? {}), ...(def as Json) });
    if (!parsed.success) {
      causes.push(...parsed.error.issues.map((issue) => `${name}.${issue.path.join(".")}: ${issue.message}`));
      continue;
    }
    if (parsed.data.type === "array" && !parsed.data.items) causes.push(`${name}.items: array attributes need items`);
    next[name] = { scope: "NONE", ...parsed.data } as AttributeDef;
  }
  if (causes.length > 0) throw DomainError.validation("schema", ...causes);
  return { next, removed };
}

/** Attributes that are set per user only ("User personal"): group assignments cannot set them. */
export function personalAttributes(custom: Record<string, AttributeDef>): Set<string> {
  return new Set(Object.entries(custom).flatMap(([name, def]) => (def.scope === "SELF" ? [name] : [])));
}

function typeError(def: AttributeDef, value: unknown): string | undefined {
  const scalar = (type: string, v: unknown) =>
    type === "string"
      ? typeof v === "string"
      : type === "boolean"
        ? typeof v === "boolean"
        : type === "integer"
          ? Number.isInteger(v)
          : typeof v === "number";
  if (def.type === "array") {
    if (!Array.isArray(value)) return "expected an array";
    const itemType = (def.items as { type?: string } | undefined)?.type ?? "string";
    return value.every((item) => scalar(itemType, item)) ? undefined : `expected an array of ${itemType}`;
  }
  if (!scalar(def.type, value)) return `expected ${def.type === "integer" ? "an integer" : `a ${def.type}`}`;
  const allowed = (def.enum as unknown[] | undefined) ?? (def.oneOf as { const: unknown }[] | undefined)?.map((o) => o.const);
  if (allowed && !allowed.includes(value)) return `must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}`;
  if (typeof value === "string") {
    if (typeof def.maxLength === "number" && value.length > def.maxLength) return `longer than ${def.maxLength}`;
    if (typeof def.minLength === "number" && value.length < def.minLength) return `shorter than ${def.minLength}`;
  }
  return undefined;
}

/**
 * Checks values set on an app user or a group assignment against the declared attributes.
 * Attributes the schema does not declare are accepted as given (apps often have no schema).
 */
export function checkProfileValues(attributes: Record<string, AttributeDef>, profile: Json, options: { fromGroup?: boolean } = {}): void {
  const causes: string[] = [];
  for (const [name, value] of Object.entries(profile)) {
    const def = attributes[name];
    if (!def || value === null) continue;
    if (options.fromGroup && def.scope === "SELF")
      causes.push(`profile.${name}: a personal (scope SELF) attribute cannot be set by a group`);
    const problem = typeError(def, value);
    if (problem) causes.push(`profile.${name}: ${problem}`);
  }
  if (causes.length > 0) throw DomainError.validation("profile", ...causes);
}
