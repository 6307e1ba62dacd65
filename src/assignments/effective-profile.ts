import { BASE_ATTRIBUTES, personalAttributes, type AttributeDef } from "../mappings/app-user-schema";
import { evaluate, parseExpression, type Expr } from "../mappings/expression-language";

type Json = Record<string, unknown>;

export interface GroupGrant {
  groupId: string;
  priority: number;
  profile: Json;
}

export type CompiledMapping = { attr: string; expr: Expr }[];

/** How an app computes app-user profiles: its mapping and its declared attributes. */
export interface ProfileRules {
  mapping: CompiledMapping;
  attributes: Record<string, AttributeDef>;
  /** Attributes with scope SELF: group assignment profiles do not set them. */
  personal: ReadonlySet<string>;
}

/** Compiles a stored mapping and schema (expressions were validated when they were saved). */
export function compileRules(properties: Record<string, { expression: string }>, custom: Record<string, AttributeDef>): ProfileRules {
  return {
    mapping: Object.entries(properties).map(([attr, { expression }]) => ({ attr, expr: parseExpression(expression) })),
    attributes: { ...BASE_ATTRIBUTES, ...custom },
    personal: personalAttributes(custom),
  };
}

/** The app-user values the mapping computes from the Okta user's profile. */
export function mappedDefaults(mapping: CompiledMapping, userProfile: Json): Json {
  const out: Json = {};
  for (const { attr, expr } of mapping) {
    const value = evaluate(expr, userProfile);
    if (value !== null) out[attr] = value;
  }
  return out;
}

/** The granting group whose profile applies: the highest priority, which is the lowest number. */
export function topGroup(grants: GroupGrant[]): GroupGrant | undefined {
  return grants.reduce<GroupGrant | undefined>((best, g) => (!best || g.priority < best.priority ? g : best), undefined);
}

/** What an app user's attributes are without any per-user override. */
export function baselineProfile(defaults: Json, grants: GroupGrant[], groupControlled: boolean, personal: ReadonlySet<string>): Json {
  const group = groupControlled ? topGroup(grants) : undefined;
  const fromGroup = Object.fromEntries(Object.entries(group?.profile ?? {}).filter(([key]) => !personal.has(key)));
  return withoutNulls({ ...defaults, ...fromGroup });
}

/**
 * Per-user overrides from a posted profile. Clients post the whole profile back (Okta's advice
 * is fetch, change, POST), so a value equal to the default is not an override and keeps
 * following the default; null, or leaving the attribute out, resets it to the default.
 */
export function overridesFrom(posted: Json, baseline: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(posted)) {
    if (value !== null && value !== undefined && !sameJson(value, baseline[key])) out[key] = value;
  }
  return out;
}

export function composeProfile(baseline: Json, overrides: Json): Json {
  return withoutNulls({ ...baseline, ...overrides });
}

function withoutNulls(profile: Json): Json {
  return Object.fromEntries(Object.entries(profile).filter(([, v]) => v !== null && v !== undefined));
}

/** Structural equality for JSON values (key order does not matter). */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** JSON text with object keys sorted (and undefined members left out): equal values, equal text. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Json)
    .filter(([, v]) => v !== undefined)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}
