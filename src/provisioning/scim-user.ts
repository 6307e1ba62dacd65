import type { AttributeDef } from "../mappings/app-user-schema";
import { SCIM_USER } from "./scim-client";

type Json = Record<string, unknown>;

/**
 * The SCIM User (RFC 7643 §4.1) for an app user: its app username, name and email (from the app
 * profile when it has givenName/familyName/email/displayName, else from the Okta user), and
 * every custom attribute that declares its SCIM `externalName` (and `externalNamespace` for an
 * extension schema); custom attributes without one are not sent, as in Okta.
 */
export function scimUserPayload(input: {
  userName: string;
  appProfile: Json;
  oktaProfile: Json;
  attributes: Record<string, AttributeDef>;
}): Json {
  const { appProfile: app, oktaProfile: okta } = input;
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const givenName = text(app.givenName) ?? text(okta.firstName);
  const familyName = text(app.familyName) ?? text(okta.lastName);
  const email = text(app.email) ?? text(okta.email);
  const displayName = text(app.displayName) ?? text(okta.displayName) ?? ([givenName, familyName].filter(Boolean).join(" ") || undefined);
  const payload: Json = { schemas: [SCIM_USER], userName: input.userName };
  if (givenName || familyName) payload.name = { ...(givenName ? { givenName } : {}), ...(familyName ? { familyName } : {}) };
  if (displayName) payload.displayName = displayName;
  if (email) payload.emails = [{ value: email, type: "work", primary: true }];
  for (const [name, def] of Object.entries(input.attributes)) {
    const externalName = typeof def.externalName === "string" ? def.externalName : undefined;
    const value = app[name];
    if (!externalName || value === undefined || value === null) continue;
    const namespace = typeof def.externalNamespace === "string" ? def.externalNamespace : SCIM_USER;
    if (namespace === SCIM_USER) {
      payload[externalName] = value;
    } else {
      const extension = (payload[namespace] ??= {}) as Json;
      extension[externalName] = value;
      if (!(payload.schemas as string[]).includes(namespace)) (payload.schemas as string[]).push(namespace);
    }
  }
  return payload;
}

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";

/** Okta's generated app password: 16 characters of random upper and lower case letters and digits. */
export function randomPassword(length = 16): string {
  const all = LOWER + UPPER + DIGITS;
  const pick = (alphabet: string) => {
    const limit = 256 - (256 % alphabet.length);
    for (;;) {
      const [byte] = crypto.getRandomValues(new Uint8Array(1));
      if (byte < limit) return alphabet[byte % alphabet.length];
    }
  };
  const chars = [pick(LOWER), pick(UPPER), pick(DIGITS)];
  while (chars.length < length) chars.push(pick(all));
  // Shuffle so the guaranteed classes are not always first (Fisher-Yates).
  for (let i = chars.length - 1; i > 0; i--) {
    const [byte] = crypto.getRandomValues(new Uint32Array(1));
    const j = byte % (i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join("");
}
