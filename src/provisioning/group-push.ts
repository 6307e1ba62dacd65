import { SCIM_GROUP, SCIM_PATCH, type ScimClient, type ScimOutcome } from "./scim-client";
import type { TraceStep } from "./user-sync";

export interface GroupPushInput {
  mappingId: string;
  status: "ACTIVE" | "INACTIVE" | "ERROR";
  targetGroupId: string | null;
  targetGroupName: string;
  /** Users who should be in the downstream group: their external ids. */
  desired: Map<string, string>;
  /** Users provisio put in the downstream group before, with their external ids where known. */
  pushed: Set<string>;
  externalIdOf: (userId: string) => string | undefined;
}

export interface GroupPushResult {
  targetGroupId: string | null;
  added: string[];
  removed: string[];
  trace: TraceStep[];
  error?: { retryable: boolean; retryAfterMs?: number; reason: string; status: number | null };
}

const OPS_PER_PATCH = 100;

/**
 * Pushes one group: finds or creates the downstream group (linking by id, or by name before
 * creating one), then adds the members that should be there and removes the ones that should
 * not, in PATCH requests of at most 100 operations.
 */
export async function pushGroup(scim: ScimClient, input: GroupPushInput): Promise<GroupPushResult> {
  const result: GroupPushResult = { targetGroupId: input.targetGroupId, added: [], removed: [], trace: [] };
  const fail = (outcome: Extract<ScimOutcome, { ok: false }>, detail: string) => {
    result.trace.push({ step: "update", detail: `${detail}: ${outcome.reason}`, status: outcome.status });
    result.error = { retryable: outcome.retryable, retryAfterMs: outcome.retryAfterMs, reason: outcome.reason, status: outcome.status };
    return result;
  };
  if (input.status !== "ACTIVE") {
    result.trace.push({ step: "skip", detail: "the push mapping is not ACTIVE" });
    return result;
  }
  if (result.targetGroupId) {
    const existing = await scim.request("GET", `/Groups/${result.targetGroupId}`);
    if (!existing.ok) return fail(existing, `reading downstream group ${result.targetGroupId}`);
  } else {
    const found = await scim.findGroupByName(input.targetGroupName);
    if (!found.ok) return fail(found, `searching for group "${input.targetGroupName}"`);
    const match = (found.body.Resources ?? []).find((g) => g.displayName === input.targetGroupName && typeof g.id === "string");
    if (match) {
      result.targetGroupId = String(match.id);
      result.trace.push({ step: "link", detail: `linked to existing downstream group ${result.targetGroupId}` });
    } else {
      const created = await scim.request("POST", "/Groups", { schemas: [SCIM_GROUP], displayName: input.targetGroupName, members: [] });
      if (!created.ok) return fail(created, `creating group "${input.targetGroupName}"`);
      result.targetGroupId = String(created.body.id);
      result.trace.push({ step: "create", detail: `created downstream group ${result.targetGroupId}`, status: created.status });
    }
  }
  const toAdd = [...input.desired].filter(([userId]) => !input.pushed.has(userId));
  const toRemove = [...input.pushed].filter((userId) => !input.desired.has(userId));
  const operations = [
    ...toAdd.map(([userId, externalId]) => ({
      userId,
      kind: "add" as const,
      op: { op: "add", path: "members", value: [{ value: externalId }] },
    })),
    ...toRemove.flatMap((userId) => {
      const externalId = input.externalIdOf(userId);
      return externalId ? [{ userId, kind: "remove" as const, op: { op: "remove", path: `members[value eq "${externalId}"]` } }] : [];
    }),
  ];
  // Users leaving who have no downstream account any more are simply forgotten.
  result.removed.push(...toRemove.filter((userId) => !input.externalIdOf(userId)));
  for (let i = 0; i < operations.length; i += OPS_PER_PATCH) {
    const part = operations.slice(i, i + OPS_PER_PATCH);
    const patched = await scim.request("PATCH", `/Groups/${result.targetGroupId}`, {
      schemas: [SCIM_PATCH],
      Operations: part.map((p) => p.op),
    });
    if (!patched.ok) return fail(patched, `updating members of ${result.targetGroupId}`);
    for (const p of part) (p.kind === "add" ? result.added : result.removed).push(p.userId);
  }
  result.trace.push({ step: "update", detail: `pushed ${result.added.length} additions and ${result.removed.length} removals` });
  return result;
}
