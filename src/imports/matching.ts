import type { InboundSettings } from "./inbound-settings";
import { evaluate, parseExpression } from "../mappings/expression-language";

type Json = Record<string, unknown>;

/** What an import does with one downstream user (the Import tab's Exact / Partial / New ...). */
export type ImportResult =
  "EXACT" | "PARTIAL" | "NEW" | "CONFLICT" | "UNCHANGED" | "UNASSIGN" | "IGNORED" | "UPDATED" | "DEACTIVATED" | "REACTIVATED";

/** A downstream SCIM user flattened into the attributes matching and creation use. */
export interface ImportedUser {
  externalId: string;
  userName: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  active: boolean;
  profile: Json;
}

export function flattenScimUser(resource: Json): ImportedUser | undefined {
  if (typeof resource.id !== "string" || typeof resource.userName !== "string") return undefined;
  const name = (resource.name ?? {}) as Json;
  const emails = Array.isArray(resource.emails) ? (resource.emails as Json[]) : [];
  const email = (emails.find((e) => e.primary) ?? emails[0])?.value;
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
  const { schemas: _s, meta: _m, id: _i, password: _p, ...rest } = resource;
  return {
    externalId: resource.id,
    userName: resource.userName,
    email: text(email),
    firstName: text(name.givenName),
    lastName: text(name.familyName),
    active: resource.active !== false,
    profile: { ...rest, email: text(email), firstName: text(name.givenName), lastName: text(name.familyName) },
  };
}

/**
 * The Okta username an imported user would have: the imported userName for EMAIL format, or
 * the custom expression (user.<attr> reads the imported profile) for CUSTOM.
 */
export function oktaUsernameFor(user: ImportedUser, settings: InboundSettings): string {
  const { usernameFormat, userNameExpression } = settings.importSettings.username;
  if (usernameFormat === "CUSTOM" && userNameExpression) {
    const value = evaluate(parseExpression(userNameExpression), { ...user.profile, userName: user.userName });
    if (typeof value === "string" && value !== "") return value;
  }
  return user.userName;
}

/** Whether an item's result applies without an administrator, per the import rules. */
export function autoConfirmed(result: ImportResult, settings: InboundSettings): boolean {
  const rules = settings.importRules.userCreateAndMatch;
  switch (result) {
    case "EXACT":
      return rules.autoConfirmExactMatch;
    case "PARTIAL":
      return rules.autoConfirmPartialMatch;
    case "NEW":
      return rules.autoConfirmNewUsers;
    case "UNASSIGN":
    // Profile sourcing: the app is authoritative for these users.
    case "UPDATED":
    case "DEACTIVATED":
    case "REACTIVATED":
      return true;
    default:
      return false;
  }
}

/** The Okta attributes a sourcing app sets on the users it sources. */
export function sourcedProfile(user: ImportedUser): Json {
  const out: Json = {};
  if (user.firstName) out.firstName = user.firstName;
  if (user.lastName) out.lastName = user.lastName;
  if (user.email) out.email = user.email;
  return out;
}

/** Whether the imported values already equal the Okta user's (case-sensitive, as Okta compares). */
export function profileMatches(user: ImportedUser, oktaProfile: Json): boolean {
  return Object.entries(sourcedProfile(user)).every(([key, value]) => oktaProfile[key] === value);
}

/**
 * With profile sourcing, what a linked user's downstream state means for the Okta user:
 * deactivated in the app -> the configured action; active again -> reactivation; changed
 * names or email -> a profile update; else unchanged.
 */
export function sourcingResult(
  user: ImportedUser,
  okta: { status: string; profile: Json },
  sourcing: InboundSettings["profileSourcing"],
): Extract<ImportResult, "UNCHANGED" | "UPDATED" | "DEACTIVATED" | "REACTIVATED"> {
  if (!user.active) {
    const target =
      sourcing.onDeactivated === "DEACTIVATE" ? "DEPROVISIONED" : sourcing.onDeactivated === "SUSPEND" ? "SUSPENDED" : undefined;
    return target && okta.status !== target && okta.status !== "DEPROVISIONED" ? "DEACTIVATED" : "UNCHANGED";
  }
  if ((okta.status === "SUSPENDED" && sourcing.reactivateSuspended) || (okta.status === "DEPROVISIONED" && sourcing.reactivateDeactivated))
    return "REACTIVATED";
  return profileMatches(user, okta.profile) ? "UNCHANGED" : "UPDATED";
}
