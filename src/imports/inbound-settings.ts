import { Cron } from "croner";
import { z } from "zod";

// Okta's INBOUND_PROVISIONING CapabilitiesInboundProvisioningObject (okta-reference.md §7), plus
// provisio's additive profileSourcing ("Allow <app> to source Okta users").
const scheduleEntry = z
  .object({ expression: z.string().min(1).max(100), timezone: z.string().min(1).max(64).default("UTC") })
  .superRefine((entry, ctx) => {
    try {
      new Cron(entry.expression, { timezone: entry.timezone, paused: true }).nextRun();
    } catch (error) {
      ctx.addIssue({
        code: "custom",
        message: `not a valid cron expression and timezone: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  });

export const inboundSchema = z.object({
  importSettings: z.object({
    username: z.object({ usernameFormat: z.enum(["EMAIL", "CUSTOM"]), userNameExpression: z.string().max(1024).optional() }),
    schedule: z.object({
      status: z.enum(["ENABLED", "DISABLED"]),
      fullImport: scheduleEntry.optional(),
      incrementalImport: scheduleEntry.optional(),
    }),
  }),
  importRules: z.object({
    userCreateAndMatch: z.object({
      exactMatchCriteria: z.enum(["EMAIL", "USERNAME"]),
      allowPartialMatch: z.boolean(),
      autoConfirmPartialMatch: z.boolean(),
      autoConfirmExactMatch: z.boolean(),
      autoConfirmNewUsers: z.boolean(),
      autoActivateNewUsers: z.boolean(),
    }),
  }),
  profileSourcing: z.object({
    status: z.enum(["ENABLED", "DISABLED"]),
    onDeactivated: z.enum(["DO_NOTHING", "DEACTIVATE", "SUSPEND"]),
    reactivateSuspended: z.boolean(),
    reactivateDeactivated: z.boolean(),
  }),
});
export type InboundSettings = z.infer<typeof inboundSchema>;

/** A partial PUT; `userNameFormat` is accepted as an alias of `usernameFormat` (Okta's examples use it). */
export const inboundPatchSchema = z
  .object({
    importSettings: z
      .object({
        username: z
          .object({
            usernameFormat: z.enum(["EMAIL", "CUSTOM"]).optional(),
            userNameFormat: z.enum(["EMAIL", "CUSTOM"]).optional(),
            userNameExpression: z.string().max(1024).optional(),
          })
          .optional(),
        schedule: z
          .object({
            status: z.enum(["ENABLED", "DISABLED"]).optional(),
            // null removes that schedule (provisio extension: Okta's console clears the field).
            fullImport: scheduleEntry.nullable().optional(),
            incrementalImport: scheduleEntry.nullable().optional(),
          })
          .optional(),
      })
      .optional(),
    importRules: z.object({ userCreateAndMatch: inboundSchema.shape.importRules.shape.userCreateAndMatch.partial().optional() }).optional(),
    profileSourcing: inboundSchema.shape.profileSourcing.partial().optional(),
  })
  .catchall(z.unknown());
export type InboundPatch = z.infer<typeof inboundPatchSchema>;

export const DEFAULT_INBOUND: InboundSettings = {
  importSettings: { username: { usernameFormat: "EMAIL" }, schedule: { status: "DISABLED" } },
  importRules: {
    userCreateAndMatch: {
      exactMatchCriteria: "USERNAME",
      allowPartialMatch: false,
      autoConfirmPartialMatch: false,
      autoConfirmExactMatch: false,
      autoConfirmNewUsers: false,
      autoActivateNewUsers: false,
    },
  },
  profileSourcing: { status: "DISABLED", onDeactivated: "DEACTIVATE", reactivateSuspended: false, reactivateDeactivated: false },
};

export function mergeInbound(current: InboundSettings, patch: InboundPatch): InboundSettings {
  const username = patch.importSettings?.username;
  const format = username?.usernameFormat ?? username?.userNameFormat;
  return inboundSchema.parse({
    importSettings: {
      username: {
        ...current.importSettings.username,
        ...(format ? { usernameFormat: format } : {}),
        ...(username?.userNameExpression !== undefined ? { userNameExpression: username.userNameExpression } : {}),
      },
      schedule: withoutNulls({ ...current.importSettings.schedule, ...patch.importSettings?.schedule }),
    },
    importRules: { userCreateAndMatch: { ...current.importRules.userCreateAndMatch, ...patch.importRules?.userCreateAndMatch } },
    profileSourcing: { ...current.profileSourcing, ...patch.profileSourcing },
  });
}

function withoutNulls<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null)) as T;
}
