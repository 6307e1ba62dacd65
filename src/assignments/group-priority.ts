/**
 * Okta's group-assignment priorities, kept dense and unique: 0..n-1 in order, 0 first. Putting
 * a group at a taken priority moves it there and shifts the groups from that position on by
 * one; a priority past the end means last; no priority keeps the group where it is (or appends
 * a new one). The result never has gaps or duplicates, whatever was asked.
 */
export function placeGroup(order: readonly string[], groupId: string, requested: number | undefined): string[] {
  const rest = order.filter((id) => id !== groupId);
  const current = order.indexOf(groupId);
  const at = requested === undefined ? (current >= 0 ? current : rest.length) : Math.min(requested, rest.length);
  return [...rest.slice(0, at), groupId, ...rest.slice(at)];
}

export function removeGroup(order: readonly string[], groupId: string): string[] {
  return order.filter((id) => id !== groupId);
}

/** The groups whose stored priority differs from their place in `order`. */
export function priorityMoves(order: readonly string[], stored: ReadonlyMap<string, number>): { groupId: string; priority: number }[] {
  return order.flatMap((groupId, priority) => (stored.get(groupId) === priority ? [] : [{ groupId, priority }]));
}
