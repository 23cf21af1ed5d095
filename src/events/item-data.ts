/**
 * The item data that travels with items (issue 10): `vector` and `neighbours` on an `Item`.
 * One set of rules for every boundary that accepts them: `track()` (validate.ts, a
 * ValidationError), the server's candidates (src/rank/candidates.ts, the field is ignored
 * with a `field_ignored` issue) and `data-lr-item` markup (src/embed/items.ts, dropped).
 */

/** Longest `vector` accepted: f32 at d = 190, f16 at d = 380, i8 at d = 750 (base64url is 4/3 chars per byte). */
export const MAX_VECTOR_CHARS = 1024
/** Most `neighbours` pairs accepted on one item (a feed row is usually 8–50). */
export const MAX_NEIGHBOURS = 100
/** Longest neighbour id, as for item ids. */
export const MAX_NEIGHBOUR_ID_CHARS = 256

/**
 * `"<enc>:<modelId>:<payload>"`: the encoding, the first 8 hex chars of the model's `itemSpace`
 * id, and base64url without padding. Only the shape is checked here; the encoder decodes the
 * payload and checks its length against its own d + 1 (src/encoder/vector-codec.ts).
 */
export const VECTOR_PATTERN = /^(f32|f16|i8):[0-9a-f]{8}:[A-Za-z0-9_-]+$/

/** Why `value` is not an acceptable `vector`, or undefined when it is. */
export function vectorProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string'
  if (value.length > MAX_VECTOR_CHARS) return `must be at most ${MAX_VECTOR_CHARS} characters`
  if (!VECTOR_PATTERN.test(value)) return 'must look like "<f32|f16|i8>:<8 hex model id>:<base64url payload>"'
  return undefined
}

/** Why one `[id, weight]` pair is not acceptable, or undefined when it is. */
export function neighbourPairProblem(pair: unknown): string | undefined {
  if (!Array.isArray(pair) || pair.length !== 2) return 'must be an [id, weight] pair'
  const id: unknown = pair[0]
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_NEIGHBOUR_ID_CHARS) return `id must be a string of 1–${MAX_NEIGHBOUR_ID_CHARS} characters`
  const w: unknown = pair[1]
  if (typeof w !== 'number' || !Number.isFinite(w)) return 'weight must be a finite number'
  return undefined
}

/**
 * The first problem of a `neighbours` value: `at` is the index of the bad pair (undefined when
 * the list itself is wrong). Undefined when the value is acceptable. O(pairs), no allocation.
 */
export function neighboursProblem(value: unknown): { at?: number; reason: string } | undefined {
  if (!Array.isArray(value)) return { reason: 'must be an array of [id, weight] pairs' }
  if (value.length > MAX_NEIGHBOURS) return { reason: `must have at most ${MAX_NEIGHBOURS} pairs` }
  for (let j = 0; j < value.length; j++) {
    const reason = neighbourPairProblem(value[j])
    if (reason !== undefined) return { at: j, reason }
  }
  return undefined
}
