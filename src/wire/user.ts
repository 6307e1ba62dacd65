import { z } from "zod";
import type { UserRow } from "../db/schema";
import type { UserStatus } from "../domain/user-lifecycle";
import { href, iso, type Href } from "./common";

// The default user type every user belongs to (Okta's `type: {id}`); user types are not modelled.
export const DEFAULT_USER_TYPE_ID = "oty00000000000000000";

const baseProfile = {
  login: z.string().min(5).max(100),
  email: z.email().max(100),
  firstName: z.string().min(1).max(50),
  lastName: z.string().min(1).max(50),
  secondEmail: z.email().max(100).nullable().optional(),
  countryCode: z.string().max(2).nullable().optional(),
};

/** Okta's default user schema requires login, email, firstName and lastName. */
export const userProfileSchema = z.object(baseProfile).catchall(z.unknown());
export const partialUserProfileSchema = z.object(baseProfile).partial().catchall(z.unknown());

export const userCredentialsSchema = z.object({
  password: z.object({ value: z.string().min(8, "password must have at least 8 characters").max(256) }).optional(),
  recovery_question: z.object({ question: z.string().min(1).max(100), answer: z.string().min(1).max(100) }).optional(),
  provider: z.object({ type: z.string(), name: z.string() }).optional(),
});

export const createUserSchema = z.object({
  profile: userProfileSchema,
  credentials: userCredentialsSchema.optional(),
  groupIds: z.array(z.string()).max(20).optional(),
  type: z.object({ id: z.string() }).optional(),
});
export type CreateUserInput = z.infer<typeof createUserSchema>;

export const replaceUserSchema = z.object({
  profile: userProfileSchema,
  credentials: userCredentialsSchema.optional(),
});
export const partialUserSchema = z.object({
  profile: partialUserProfileSchema.optional(),
  credentials: userCredentialsSchema.optional(),
});
export type UserChangesInput = z.infer<typeof partialUserSchema>;

/** The lifecycle links Okta offers in each status (only on single-user responses). */
const LIFECYCLE_LINKS: Record<string, (status: UserStatus) => boolean> = {
  activate: (s) => s === "STAGED" || s === "DEPROVISIONED",
  reactivate: (s) => s === "PROVISIONED" || s === "RECOVERY",
  suspend: (s) => s === "ACTIVE",
  unsuspend: (s) => s === "SUSPENDED",
  deactivate: (s) => s !== "DEPROVISIONED",
};

export function userJson(row: UserRow, base: string, options: { inCollection?: boolean } = {}) {
  const self = `${base}/api/v1/users/${row.id}`;
  const links: Record<string, Href> = { self: href(self) };
  if (!options.inCollection) {
    for (const [name, allowed] of Object.entries(LIFECYCLE_LINKS)) {
      if (allowed(row.status)) links[name] = href(`${self}/lifecycle/${name}`, "POST");
    }
    links.schema = href(`${base}/api/v1/meta/schemas/user/default`);
    links.type = href(`${base}/api/v1/meta/types/user/${DEFAULT_USER_TYPE_ID}`);
  }
  const credentials: Record<string, unknown> = { provider: { type: row.providerType, name: row.providerName } };
  if (row.passwordHash) credentials.password = {};
  if (row.recoveryQuestion) credentials.recovery_question = { question: row.recoveryQuestion };
  return {
    id: row.id,
    status: row.status,
    ...(row.transitioningToStatus ? { transitioningToStatus: row.transitioningToStatus } : {}),
    created: iso(row.created),
    activated: iso(row.activated),
    statusChanged: iso(row.statusChanged),
    lastLogin: iso(row.lastLogin),
    lastUpdated: iso(row.lastUpdated),
    passwordChanged: iso(row.passwordChanged),
    type: { id: DEFAULT_USER_TYPE_ID },
    profile: row.profile,
    credentials,
    _links: links,
  };
}
