import { z } from "zod";

// Okta's USER_PROVISIONING CapabilitiesObject (okta-reference.md §7), plus provisio's additive
// update.excludeUsernameUpdates.
const status = z.enum(["ENABLED", "DISABLED"]);
const toggle = z.object({ status });

export const capabilitiesSchema = z.object({
  create: z.object({ lifecycleCreate: toggle }),
  update: z.object({
    profile: toggle,
    lifecycleDeactivate: toggle,
    password: z.object({ status, seed: z.enum(["OKTA", "RANDOM"]), change: z.enum(["CHANGE", "KEEP_EXISTING"]) }),
    excludeUsernameUpdates: toggle,
  }),
});
export type UserProvisioningCapabilities = z.infer<typeof capabilitiesSchema>;

/** The partial update PUT accepts ("This endpoint supports partial updates"). */
export const capabilitiesPatchSchema = z
  .object({
    create: z.object({ lifecycleCreate: toggle.partial().optional() }).partial().optional(),
    update: z
      .object({
        profile: toggle.partial(),
        lifecycleDeactivate: toggle.partial(),
        password: z.object({ status, seed: z.enum(["OKTA", "RANDOM"]), change: z.enum(["CHANGE", "KEEP_EXISTING"]) }).partial(),
        excludeUsernameUpdates: toggle.partial(),
      })
      .partial()
      .optional(),
  })
  .catchall(z.unknown());
export type CapabilitiesPatch = z.infer<typeof capabilitiesPatchSchema>;

export const DEFAULT_CAPABILITIES: UserProvisioningCapabilities = {
  create: { lifecycleCreate: { status: "DISABLED" } },
  update: {
    profile: { status: "DISABLED" },
    lifecycleDeactivate: { status: "DISABLED" },
    password: { status: "DISABLED", seed: "RANDOM", change: "KEEP_EXISTING" },
    excludeUsernameUpdates: { status: "DISABLED" },
  },
};

export function mergeCapabilities(current: UserProvisioningCapabilities, patch: CapabilitiesPatch): UserProvisioningCapabilities {
  const u = patch.update ?? {};
  return {
    create: { lifecycleCreate: { ...current.create.lifecycleCreate, ...patch.create?.lifecycleCreate } },
    update: {
      profile: { ...current.update.profile, ...u.profile },
      lifecycleDeactivate: { ...current.update.lifecycleDeactivate, ...u.lifecycleDeactivate },
      password: { ...current.update.password, ...u.password },
      excludeUsernameUpdates: { ...current.update.excludeUsernameUpdates, ...u.excludeUsernameUpdates },
    },
  };
}

const on = (toggle: { status: string }) => toggle.status === "ENABLED";

/** What the provisioning engine does for an app, read off its capabilities. */
export interface ProvisioningMode {
  enabled: boolean;
  create: boolean;
  pushProfile: boolean;
  deactivate: boolean;
  pushPassword: boolean;
  passwordSeed: "OKTA" | "RANDOM";
  pushPasswordChanges: boolean;
  excludeUsernameUpdates: boolean;
}

export const PROVISIONING_OFF: ProvisioningMode = {
  enabled: false,
  create: false,
  pushProfile: false,
  deactivate: false,
  pushPassword: false,
  passwordSeed: "RANDOM",
  pushPasswordChanges: false,
  excludeUsernameUpdates: false,
};

export function modeOf(connectionEnabled: boolean, c: UserProvisioningCapabilities): ProvisioningMode {
  if (!connectionEnabled) return PROVISIONING_OFF;
  return {
    enabled: true,
    create: on(c.create.lifecycleCreate),
    pushProfile: on(c.update.profile),
    deactivate: on(c.update.lifecycleDeactivate),
    pushPassword: on(c.update.password),
    passwordSeed: c.update.password.seed,
    pushPasswordChanges: on(c.update.password) && c.update.password.change === "CHANGE",
    excludeUsernameUpdates: on(c.update.excludeUsernameUpdates),
  };
}

/** The app's `features` array as Okta shows it for these capabilities. */
export function featuresOf(connectionEnabled: boolean, c: UserProvisioningCapabilities): string[] {
  const mode = modeOf(connectionEnabled, c);
  if (!mode.enabled) return [];
  const features: string[] = [];
  if (mode.create) features.push("PUSH_NEW_USERS", "REACTIVATE_USERS");
  if (mode.pushProfile) features.push("PUSH_PROFILE_UPDATES");
  if (mode.deactivate) features.push("PUSH_USER_DEACTIVATION");
  if (mode.pushPassword) features.push("PUSH_PASSWORD_UPDATES");
  if (mode.excludeUsernameUpdates) features.push("EXCLUDE_USERNAME_UPDATE_ON_PROFILE_PUSH");
  // Group Push needs only the connection (Push Groups tab).
  features.push("GROUP_PUSH");
  return features;
}
