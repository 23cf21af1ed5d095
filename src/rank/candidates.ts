import { ValidationError } from '../errors'
import { neighboursProblem, vectorProblem } from '../events/item-data'
import type { Candidate, CandidateIssue } from './types'

/** Lists longer than this are cut (strict mode: rejected). A shop's list is 20–1,000 items. */
export const MAX_CANDIDATES = 10_000

export interface SanitizedCandidates<C extends Candidate> {
  /** Valid candidates in the server's order. */
  valid: C[]
  /** Server score per valid candidate, NaN where missing or not finite. */
  serverScores: Float64Array
  /**
   * Per valid candidate, the fields personalisation may read, malformed ones left out: exactly
   * `cleanFeatures(valid[i])`, built from the values this check read (issue 14: a second walk
   * over the list re-read and re-checked every field, ~40% of the check's own time).
   */
  features: Candidate[]
  /** Valid candidate id → its index in `valid` (the duplicate check's own map, kept for lookups by id). */
  index: ReadonlyMap<string, number>
  issues: CandidateIssue[]
}

/**
 * Check the server's list and clean it up instead of crashing. The documented clean-up:
 * - not an object, or an id that is missing/empty/not a string → dropped
 *   (a finite number id is accepted as its decimal string: many shops use numeric SKUs);
 * - a duplicate id → the later copy is dropped (the server's first placement wins);
 * - a `score` that is not a finite number → ignored (the item keeps its server position);
 * - malformed optional fields (`category` not an array of strings, `price` not finite, a
 *   `vector` or `neighbours` that breaks the item-data rules of src/events/item-data.ts, or
 *   one whose getter throws) → ignored for personalisation (`field_ignored`, naming e.g.
 *   `candidates[3].neighbours[7]`); the candidate object itself is returned untouched;
 * - more than MAX_CANDIDATES → the excess is dropped (one issue records it).
 * In strict mode the first problem is thrown as a `ValidationError` naming the field.
 */
export function sanitizeCandidates<C extends Candidate>(input: unknown, strict = false): SanitizedCandidates<C> {
  if (!Array.isArray(input)) throw new ValidationError('invalid_candidates', 'candidates', 'must be an array')
  const issues: CandidateIssue[] = []
  const report = (index: number, field: string, reason: string, action: CandidateIssue['action']) => {
    if (strict) throw new ValidationError('invalid_candidates', field, reason)
    issues.push({ index, field, reason, action })
  }
  let n = input.length
  if (n > MAX_CANDIDATES) {
    report(MAX_CANDIDATES, 'candidates', `has ${n} items; at most ${MAX_CANDIDATES} are ranked`, 'dropped')
    n = MAX_CANDIDATES
  }
  const valid: C[] = []
  const features: Candidate[] = []
  const scores = new Float64Array(n)
  const seen = new Map<string, number>()
  // The field path is built only when something is reported (`candidates[${i}]` for each of
  // 2,000 valid candidates was a string per candidate for nothing; issue 14).
  for (let i = 0; i < n; i++) {
    const c = input[i] as unknown
    if (typeof c !== 'object' || c === null || Array.isArray(c)) {
      report(i, `candidates[${i}]`, 'must be an object', 'dropped')
      continue
    }
    let id = (c as { id?: unknown }).id
    if (typeof id === 'number' && Number.isFinite(id)) id = String(id)
    if (typeof id !== 'string' || id.length === 0) {
      report(i, `candidates[${i}].id`, id === undefined ? 'is missing' : 'must be a non-empty string', 'dropped')
      continue
    }
    if (seen.has(id)) {
      report(i, `candidates[${i}].id`, `duplicate of an earlier candidate "${id}"`, 'dropped')
      continue
    }
    seen.set(id, valid.length)
    const s = (c as { score?: unknown }).score
    let score = Number.NaN
    if (s !== undefined) {
      if (typeof s === 'number' && Number.isFinite(s)) score = s
      else report(i, `candidates[${i}].score`, 'must be a finite number', 'score_ignored')
    }
    // Each field is read once: its check and its clean copy (cleanFeatures' rules) come from one value.
    const f: Candidate = { id }
    const cat = (c as { category?: unknown }).category
    if (cat !== undefined) {
      if (isStringArray(cat)) f.category = cat
      else report(i, `candidates[${i}].category`, 'must be an array of strings', 'field_ignored')
    }
    const tags = (c as { tags?: unknown }).tags
    if (tags !== undefined) {
      if (isStringArray(tags)) f.tags = tags
      else report(i, `candidates[${i}].tags`, 'must be an array of strings', 'field_ignored')
    }
    const brand = (c as { brand?: unknown }).brand
    if (typeof brand === 'string') f.brand = brand
    const price = (c as { price?: unknown }).price
    if (price !== undefined) {
      if (!(typeof price === 'number' && Number.isFinite(price))) report(i, `candidates[${i}].price`, 'must be a finite number', 'field_ignored')
      else if (price >= 0) f.price = price
    }
    const title = (c as { title?: unknown }).title
    if (typeof title === 'string') f.title = title
    const vector = readField(c, 'vector')
    if (vector.error !== undefined) report(i, `candidates[${i}].vector`, vector.error, 'field_ignored')
    else if (vector.value !== undefined) {
      const reason = vectorProblem(vector.value)
      if (reason !== undefined) report(i, `candidates[${i}].vector`, reason, 'field_ignored')
      else f.vector = vector.value as string
    }
    const nb = readField(c, 'neighbours')
    if (nb.error !== undefined) report(i, `candidates[${i}].neighbours`, nb.error, 'field_ignored')
    else if (nb.value !== undefined) {
      const p = neighboursProblem(nb.value)
      if (p) report(i, p.at === undefined ? `candidates[${i}].neighbours` : `candidates[${i}].neighbours[${p.at}]`, p.reason, 'field_ignored')
      else {
        checkedRows.add(nb.value as object)
        f.neighbours = nb.value as Array<[string, number]>
      }
    }
    scores[valid.length] = score
    features.push(f)
    valid.push((typeof (c as Candidate).id === 'string' ? c : { ...c, id }) as C)
  }
  return { valid, serverScores: valid.length === n ? scores : scores.slice(0, valid.length), features, index: seen, issues }
}

/**
 * Neighbour lists `sanitizeCandidates` found valid, so `cleanFeatures` need not walk them a
 * second time (25,000 pairs for 500 candidates × 50). A list changed after the check can only
 * hold malformed pairs, which the profile skips (profile.ts `similar`).
 */
const checkedRows = new WeakSet<object>()

/** An array whose every element is a string (a loop: `every` with a callback per candidate field cost more). */
function isStringArray(v: unknown): v is string[] {
  if (!Array.isArray(v)) return false
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false
  return true
}

/** The item fields personalisation may read, with malformed ones removed. */
export function cleanFeatures(c: Candidate): Candidate {
  const out: Candidate = { id: c.id }
  if (isStringArray(c.category)) out.category = c.category
  if (isStringArray(c.tags)) out.tags = c.tags
  if (typeof c.brand === 'string') out.brand = c.brand
  if (typeof c.price === 'number' && Number.isFinite(c.price) && c.price >= 0) out.price = c.price
  if (typeof c.title === 'string') out.title = c.title
  const vector = readField(c, 'vector').value
  if (vector !== undefined && vectorProblem(vector) === undefined) out.vector = vector as string
  const nb = readField(c, 'neighbours').value
  if (nb !== undefined && (checkedRows.has(nb as object) || neighboursProblem(nb) === undefined)) out.neighbours = nb as Array<[string, number]>
  return out
}

const ABSENT: { readonly value?: unknown; readonly error?: string } = Object.freeze({})

/**
 * An own field of a candidate, read once; a throwing getter or Proxy trap becomes an `error`
 * (the field is then ignored, not the list). Inherited properties are not fields.
 */
function readField(c: object, key: 'vector' | 'neighbours'): { readonly value?: unknown; readonly error?: string } {
  try {
    // The common case, an absent field, allocates nothing.
    return Object.hasOwn(c, key) ? { value: (c as Record<string, unknown>)[key] } : ABSENT
  } catch (err) {
    let m = 'unknown error'
    try {
      m = err instanceof Error ? err.message : String(err)
    } catch {
      /* a thrown Proxy */
    }
    return { error: `could not be read (${m.slice(0, 120)})` }
  }
}
