import { z } from "zod";

/** Okta's timestamps: ISO-8601 with milliseconds, or null when unset. */
export function iso(date: Date | null | undefined): string | null {
  return date ? isoFromMs(date.getTime()) : null;
}

const pad2 = (n: number) => (n < 10 ? "0" : "") + String(n);
const pad3 = (n: number) => (n < 10 ? "00" : n < 100 ? "0" : "") + String(n);
const DAY_MS = 86_400_000;
const YEAR_10000_MS = 253_402_300_800_000;

/**
 * Date#toISOString in integer arithmetic (Hinnant's civil-from-days). A 500-row page formats
 * about 2,500 timestamps, and the built-in took a measured fifth of the page's CPU; this is ~3x
 * faster and gives the same text for 1970..9999 (others fall back to the built-in).
 */
export function isoFromMs(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms >= YEAR_10000_MS) return new Date(ms).toISOString();
  const days = Math.floor(ms / DAY_MS);
  let rest = ms - days * DAY_MS;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  return `${year}-${pad2(month)}-${pad2(day)}T${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${pad3(rest - seconds * 1000)}Z`;
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
