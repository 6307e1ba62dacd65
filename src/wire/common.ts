import { z } from "zod";

/** Okta's timestamps: ISO-8601 with milliseconds, or null when unset. */
export function iso(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}

export type Href = { href: string; method?: string; hints?: { allow: string[] } };

export function href(url: string, method?: string): Href {
  return method ? { href: url, method } : { href: url };
}

/** A free-form JSON object (Okta profiles and settings): any keys, object-valued. */
export const jsonObject = z.record(z.string(), z.unknown());

/** Okta's boolean query flags arrive as strings. */
export const booleanParam = (defaultValue: boolean) =>
  z
    .enum(["true", "false", "TRUE", "FALSE", "True", "False"])
    .optional()
    .transform((raw) => (raw === undefined ? defaultValue : raw.toLowerCase() === "true"));
