// Order checks that fail when an event is missing: `indexOf(a) < indexOf(b)` passes when `a` is
// absent (-1), so every position is first required to exist.
import assert from "node:assert/strict";

/** Each named position exists (>= 0) and they strictly increase in the order given. */
export function assertOrder(positions: Array<[label: string, index: number]>, context = ""): void {
  const show = () => `${positions.map(([l, i]) => `${l}@${i}`).join(", ")}${context ? `; ${context}` : ""}`;
  for (const [label, i] of positions) assert.ok(i >= 0, `${label} is missing: ${show()}`);
  for (let k = 1; k < positions.length; k++) assert.ok(positions[k - 1][1] < positions[k][1], `${positions[k - 1][0]} must come before ${positions[k][0]}: ${show()}`);
}

/** `assertOrder` over the first index of each label in `list`. */
export function assertListOrder<T>(list: readonly T[], labels: readonly T[], context = ""): void {
  assertOrder(labels.map((l) => [String(l), list.indexOf(l)]), context);
}
