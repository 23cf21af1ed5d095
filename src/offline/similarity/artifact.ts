import { createSimilarityTable, parseSimilarityTable, type MemorySimilarityTable, type SimilarityTableJSON } from '../../interest'
import { buildNeighbours, DEFAULT_NEIGHBOUR_OPTIONS, type NeighbourLists, type NeighbourOptions } from './neighbours'
import type { TrainingData } from './training'

/**
 * The shipped similarity artifact: neighbour lists → src/interest's table (its CSR JSON
 * format) → rounded → parsed back. The evaluator scores with the parsed table, so the
 * figures in the report are those of the very file the browser loads.
 */
export interface ArtifactOptions extends NeighbourOptions {
  /** Add (b, a) for every kept (a, b): the candidate's row then also holds items whose lists name it. */
  symmetric: boolean
  /** Significant digits kept in the JSON (smaller file). */
  digits: number
}

export const DEFAULT_ARTIFACT_OPTIONS: ArtifactOptions = { ...DEFAULT_NEIGHBOUR_OPTIONS, symmetric: false, digits: 3 }

export interface SimilarityArtifact {
  json: SimilarityTableJSON
  table: MemorySimilarityTable
  /** Bytes of `JSON.stringify(json)`. */
  bytes: number
  lists: NeighbourLists
}

export function buildSimilarityArtifact(data: TrainingData, opts: Partial<ArtifactOptions> = {}, meta: Record<string, unknown> = {}): SimilarityArtifact {
  const o: ArtifactOptions = { ...DEFAULT_ARTIFACT_OPTIONS, ...opts }
  const lists = buildNeighbours(data, o)
  function* triples(): Generator<readonly [string, string, number]> {
    for (let a = 0; a < lists.items.length; a++) {
      const ns = lists.nbr[a]!
      const ss = lists.sim[a]!
      for (let t = 0; t < ns.length; t++) yield [lists.items[a]!, lists.items[ns[t]!]!, ss[t]!] as const
    }
  }
  const built = createSimilarityTable(triples(), { symmetric: o.symmetric, maxNeighbors: o.symmetric ? 2 * o.k : o.k })
  // Drop ids that have no row and appear in no row: they cost bytes and answer nothing.
  const json = compact(built.toJSON({ digits: o.digits, meta: { ...meta, options: { ...o, gapHalfLifeMs: String(o.gapHalfLifeMs), window: String(o.window) } } }))
  const text = JSON.stringify(json)
  return { json, table: parseSimilarityTable(json), bytes: Buffer.byteLength(text), lists }
}

/** Remove dictionary entries with an empty row that no row references, re-indexing the rest. */
function compact(j: SimilarityTableJSON): SimilarityTableJSON {
  const n = j.items.length
  const used = new Uint8Array(n)
  for (let i = 0; i < n; i++) if (j.offsets[i + 1]! > j.offsets[i]!) used[i] = 1
  for (const b of j.neighbors) used[b] = 1
  const remap = new Int32Array(n).fill(-1)
  const items: string[] = []
  const offsets: number[] = [0]
  for (let i = 0; i < n; i++) {
    if (!used[i]) continue
    remap[i] = items.length
    items.push(j.items[i]!)
  }
  const neighbors: number[] = []
  const sims: number[] = []
  for (let i = 0; i < n; i++) {
    if (!used[i]) continue
    for (let k = j.offsets[i]!; k < j.offsets[i + 1]!; k++) {
      neighbors.push(remap[j.neighbors[k]!]!)
      sims.push(j.sims[k]!)
    }
    offsets.push(neighbors.length)
  }
  const out: SimilarityTableJSON = { format: j.format, version: j.version, items, offsets, neighbors, sims }
  if (j.meta) out.meta = j.meta
  return out
}
