import { DomainError } from "../domain/errors";

type Json = Record<string, unknown>;

export interface GroupAssignmentChange {
  priority?: number;
  profile?: Json;
}

export type JsonPatchOperation = { op: "add" | "replace" | "remove"; path: string; value?: unknown };

/**
 * PATCH /apps/{appId}/groups/{groupId}: JSON Patch (RFC 6902) `replace`, `add` and `remove` on
 * `/profile/<attribute>` and `replace` on `/priority`, applied to the current assignment.
 */
export function applyPatch(current: { priority: number; profile: Json }, ops: JsonPatchOperation[]): Required<GroupAssignmentChange> {
  const profile = { ...current.profile };
  let priority = current.priority;
  for (const [i, op] of ops.entries()) {
    const where = `[${i}] ${op.op} ${op.path}`;
    if (op.path === "/priority") {
      if (op.op !== "replace" || !Number.isInteger(op.value) || (op.value as number) < 0) {
        throw DomainError.validation("priority", `${where}: priority takes a replace with a non-negative integer`);
      }
      priority = op.value as number;
      continue;
    }
    const match = /^\/profile\/([^/]+)$/.exec(op.path);
    if (!match) throw DomainError.validation("path", `${where}: only /profile/<attribute> and /priority can be patched`);
    const key = match[1].replace(/~1/g, "/").replace(/~0/g, "~");
    if (op.op === "remove") {
      if (!(key in profile)) throw DomainError.validation("path", `${where}: the profile has no ${key}`);
      delete profile[key];
    } else {
      if (!("value" in op)) throw DomainError.validation("value", `${where}: a value is required`);
      profile[key] = op.value;
    }
  }
  return { priority, profile };
}
