import { describe, expect, it } from "vitest";
import { placeGroup, priorityMoves, removeGroup } from "../../src/assignments/group-priority";

describe("group assignment priorities", () => {
  const order = ["a", "b", "c"];
  it("appends new groups, inserts at a taken priority, moves existing ones, caps past the end", () => {
    expect(placeGroup(order, "d", undefined)).toEqual(["a", "b", "c", "d"]);
    expect(placeGroup(order, "d", 1)).toEqual(["a", "d", "b", "c"]);
    expect(placeGroup(order, "c", 0)).toEqual(["c", "a", "b"]);
    expect(placeGroup(order, "a", 2)).toEqual(["b", "c", "a"]);
    expect(placeGroup(order, "a", 50)).toEqual(["b", "c", "a"]);
    expect(placeGroup(order, "b", undefined)).toEqual(order);
    expect(removeGroup(order, "b")).toEqual(["a", "c"]);
  });

  it("names only the groups whose stored priority must change", () => {
    const stored = new Map([
      ["a", 0],
      ["b", 1],
      ["c", 2],
    ]);
    expect(priorityMoves(placeGroup(order, "d", 1), stored)).toEqual([
      { groupId: "d", priority: 1 },
      { groupId: "b", priority: 2 },
      { groupId: "c", priority: 3 },
    ]);
    expect(priorityMoves(order, stored)).toEqual([]);
    // A stored state with a gap or a duplicate (from elsewhere) comes out dense and unique.
    expect(
      priorityMoves(
        ["a", "b", "c"],
        new Map([
          ["a", 0],
          ["b", 0],
          ["c", 5],
        ]),
      ),
    ).toEqual([
      { groupId: "b", priority: 1 },
      { groupId: "c", priority: 2 },
    ]);
  });
});
