import { z } from "zod";
import type { ImportItemRow, ImportSessionRow } from "../db/schema";
import { iso } from "./common";

export const startImportSchema = z.object({ type: z.enum(["FULL", "INCREMENTAL"]).default("FULL"), dryRun: z.boolean().default(false) });

export const confirmImportSchema = z
  .object({
    itemIds: z.array(z.string().regex(/^\d+$/, "item ids are numbers as strings")).max(10_000).optional(),
    all: z.boolean().optional(),
    activate: z.boolean().default(false),
  })
  .refine((body) => body.all === true || (body.itemIds?.length ?? 0) > 0, { message: "give itemIds or all: true" });

export const ITEM_RESULTS = [
  "EXACT",
  "PARTIAL",
  "NEW",
  "CONFLICT",
  "UNCHANGED",
  "UNASSIGN",
  "IGNORED",
  "UPDATED",
  "DEACTIVATED",
  "REACTIVATED",
] as const;

/**
 * Operator progress for the phase a session is in: done/total, rate and an estimate of what is
 * left (fetching counts users read of those the downstream reported; applying counts items).
 */
export function sessionProgress(row: ImportSessionRow, now = Date.now()) {
  const c = row.counters;
  const [done, total] =
    row.phase === "FETCH" || row.phase === "WAITING"
      ? [c.fetched, c.downstreamTotal ?? null]
      : row.phase === "PLAN"
        ? [null, c.fetched]
        : [c.applied, c.applied + (c.confirmed ?? 0)];
  const seconds = Math.max(((row.completed?.getTime() ?? now) - row.created.getTime()) / 1000, 0.001);
  const rate = done === null ? null : Math.round((done / seconds) * 10) / 10;
  const eta = done !== null && total !== null && rate ? Math.ceil(Math.max(total - done, 0) / rate) : null;
  return { phase: row.phase, done, total, ratePerSecond: rate, etaSeconds: row.status === "RUNNING" ? eta : 0 };
}

export function sessionJson(row: ImportSessionRow, base: string) {
  const self = `${base}/api/v1/apps/${row.appId}/imports/${row.id}`;
  return {
    id: row.id,
    appId: row.appId,
    type: row.type,
    trigger: row.trigger,
    dryRun: row.dryRun,
    status: row.status,
    phase: row.phase,
    counters: row.counters,
    progress: sessionProgress(row),
    safeguard: row.safeguard,
    error: row.error,
    created: iso(row.created),
    lastUpdated: iso(row.lastUpdated),
    completed: iso(row.completed),
    _links: {
      self: { href: self },
      items: { href: `${self}/items` },
      confirm: { href: `${self}/confirm`, hints: { allow: ["POST"] } },
      cancel: { href: `${self}/cancel`, hints: { allow: ["POST"] } },
    },
  };
}

export function itemJson(row: ImportItemRow) {
  return {
    id: String(row.seq),
    externalId: row.externalId,
    userName: row.userName,
    active: row.active,
    result: row.result,
    decision: row.decision,
    matchedUserId: row.matchedUserId,
    detail: row.detail,
    profile: row.profile,
  };
}
