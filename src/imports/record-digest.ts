import { canonicalJson } from "../assignments/effective-profile";
import type { InboundSettings } from "./inbound-settings";
import type { ImportedUser } from "./matching";

/**
 * A digest of a downstream user as an import read it, together with what decides how it is
 * imported (the app's import settings and inline hook). Equal digests mean the next import
 * would plan this user exactly as the last one did: it is counted as unchanged and not stored.
 * Key order does not matter (the record is canonicalised first).
 */
export async function recordDigest(user: ImportedUser, decidedBy: string): Promise<string> {
  const text = canonicalJson({ user: { ...user }, decidedBy });
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(hash, 0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** What about the app changes how an import plans a user: its settings and its import inline hook. */
export function importSettingsKey(inbound: InboundSettings, inlineHookId: string | undefined): string {
  const { importSettings, importRules, profileSourcing } = inbound;
  return canonicalJson({ username: importSettings.username, importRules, profileSourcing, inlineHookId: inlineHookId ?? null });
}
