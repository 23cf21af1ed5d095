import type { Split } from '../protocol/split'

/**
 * The training interactions as integer arrays, the input of every offline similarity.
 * Only events before each user's validation event are used (all events for train-only
 * users): validation and test items never leak into what the model is built from.
 */
export interface TrainingData {
  /** Item ids; the index is the item's number everywhere below (the split's universe order). */
  items: string[]
  index: Map<string, number>
  /** Per user: item numbers of the training interactions, in time order (ties in file order). */
  sequences: Int32Array[]
  /** Per user: their times (ms), aligned with `sequences`. */
  times: Float64Array[]
  /** Training interactions per item. */
  counts: Int32Array
  /** Per item: the distinct users (ascending) who interacted with it in training. */
  itemUsers: Int32Array[]
}

export function trainingData(split: Split): TrainingData {
  const items = split.universe.slice()
  const index = new Map<string, number>()
  items.forEach((id, i) => index.set(id, i))
  const sequences: Int32Array[] = []
  const times: Float64Array[] = []
  const counts = new Int32Array(items.length)
  const userLists: number[][] = items.map(() => [])
  split.users.forEach((u, ui) => {
    const seq: number[] = []
    const ts: number[] = []
    for (let k = 0; k < u.trainEnd; k++) {
      const e = u.events[k]!
      for (const it of e.items) {
        const i = index.get(it.id)!
        seq.push(i)
        ts.push(e.timestamp)
        counts[i]!++
        const l = userLists[i]!
        if (l[l.length - 1] !== ui) l.push(ui)
      }
    }
    sequences.push(Int32Array.from(seq))
    times.push(Float64Array.from(ts))
  })
  return { items, index, sequences, times, counts, itemUsers: userLists.map((l) => Int32Array.from(l)) }
}
