import type { ImportedUser } from "./matching";

type Json = Record<string, unknown>;

/**
 * Okta's import inline hook (com.okta.import.transform): for each imported user Okta POSTs the
 * app user's and the would-be Okta user's profiles with the proposed action, and the hook
 * answers with commands that change them. Here: the request shape, and the commands' effect.
 */
export const IMPORT_HOOK_TYPE = "com.okta.import.transform";
export const HOOK_TIMEOUT_MS = 3_000;

export interface HookEffect {
  appUserProfile?: Json;
  userProfile?: Json;
  action?: "CREATE_USER" | "LINK_USER";
  linkUserId?: string;
}

export function importHookRequest(input: {
  app: { id: string; name: string; label: string; status: string };
  sessionId: string;
  user: ImportedUser;
  proposed: "CREATE_USER" | "LINK_USER";
  matchedUserId?: string;
  policy: string[];
}): Json {
  return {
    source: `/api/v1/apps/${input.app.id}/imports/${input.sessionId}`,
    eventId: crypto.randomUUID(),
    eventTime: new Date().toISOString(),
    eventTypeVersion: "1.0",
    cloudEventVersion: "0.1",
    contentType: "application/json",
    eventType: IMPORT_HOOK_TYPE,
    data: {
      context: {
        conflicts: [],
        application: input.app,
        job: { id: input.sessionId, type: "import:users" },
        matches: input.matchedUserId ? [{ id: input.matchedUserId }] : [],
        policy: input.policy,
      },
      action: { result: input.proposed },
      appUser: { profile: { ...input.user.profile, userName: input.user.userName } },
      user: {
        profile: { login: input.user.userName, email: input.user.email, firstName: input.user.firstName, lastName: input.user.lastName },
      },
    },
  };
}

/** Reads a hook response's commands; unknown commands are ignored, malformed ones are an error. */
export function parseHookResponse(body: unknown): HookEffect {
  const commands = (body as { commands?: unknown })?.commands;
  if (commands === undefined) return {};
  if (!Array.isArray(commands)) throw new Error("commands must be an array");
  const effect: HookEffect = {};
  for (const command of commands as { type?: unknown; value?: unknown }[]) {
    const value = command?.value as Json | undefined;
    switch (command?.type) {
      case "com.okta.appUser.profile.update":
        effect.appUserProfile = { ...effect.appUserProfile, ...requireObject(value, command.type) };
        break;
      case "com.okta.user.profile.update":
        effect.userProfile = { ...effect.userProfile, ...requireObject(value, command.type) };
        break;
      case "com.okta.action.update": {
        const result = requireObject(value, command.type).result;
        if (result !== "CREATE_USER" && result !== "LINK_USER")
          throw new Error("com.okta.action.update needs result CREATE_USER or LINK_USER");
        effect.action = result;
        break;
      }
      case "com.okta.user.update": {
        const id = requireObject(value, command.type).id;
        if (typeof id !== "string") throw new Error("com.okta.user.update needs an id");
        effect.linkUserId = id;
        break;
      }
    }
  }
  return effect;
}

function requireObject(value: unknown, type: unknown): Json {
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error(`${String(type)} needs an object value`);
  return value as Json;
}
