/**
 * The `vector` field of an item (/work/notes ITEMDATA, issue 10): the item's embedding as the
 * trained model computes it, so that the browser needs no item table that grows with the
 * catalogue. Free of TensorFlow.js, so the page, the worker and the offline exporter share it.
 *
 *   vector  = "<enc>:<modelId>:<payload>"
 *   enc     = f32 | f16 | i8
 *   modelId = the first 8 hex digits of the model's `itemSpace` (see `itemSpaceId`)
 *   payload = base64url, no padding, of the d + 1 values [e_0 … e_{d−1}, bias], little-endian:
 *             f32: 4 bytes each; f16: IEEE half, 2 bytes each;
 *             i8:  a float32 scale, then d + 1 int8 q_k with value_k = q_k · scale,
 *                  scale = max_k |value_k| / 127 (symmetric, so 0 stays exactly 0).
 *
 * score(c) = u·e(c) + bias(c), so the bias travels with the embedding.
 * Payload sizes at d = 64: f32 347 characters, f16 174, i8 92 (plus the prefix: 13 characters, 12 for i8).
 *
 * Why a model id in every vector: a shop's server may keep serving feed rows from a previous
 * export after the browser has fetched a retrained model (or the other way round); vectors of
 * another embedding space would score as noise. An encoder ignores a vector whose id is not its
 * own and embeds that item from its content instead.
 */
import { fromHalf, sha256Hex, toHalf } from './weights'

export type VectorEncoding = 'f32' | 'f16' | 'i8'
export const VECTOR_ENCODINGS: readonly VectorEncoding[] = ['f32', 'f16', 'i8']

/** The boundary's shape check (events/validate.ts and rank/candidates.ts use the same rule). */
export const VECTOR_PATTERN = /^(f32|f16|i8):([0-9a-f]{8}):([A-Za-z0-9_-]+)$/
export const MAX_VECTOR_CHARS = 1024

// --- base64url (RFC 4648 §5, no padding) ---------------------------------------------------

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const INDEX = new Int16Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) INDEX[ALPHABET.charCodeAt(i)] = i

export function toBase64url(bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]!
  }
  return out
}

/** Bytes of a base64url string, or a reason string when it is not one (bad character, bad length). */
export function fromBase64url(s: string): Uint8Array | string {
  if (s.length % 4 === 1) return `base64url length ${s.length} is impossible (4k+1 characters)`
  const out = new Uint8Array(Math.floor((s.length * 3) / 4))
  let o = 0
  let acc = 0
  let bits = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    const v = c < 128 ? INDEX[c]! : -1
    if (v < 0) return `character ${JSON.stringify(s[i])} at ${i} is not base64url`
    acc = (acc << 6) | v
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (acc >>> bits) & 0xff
    }
  }
  // Leftover bits must be zero, or the string was not written by an encoder (RFC 4648 §3.5).
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) return 'base64url has non-zero padding bits'
  return out
}

// --- vector ---------------------------------------------------------------------------------

/** `"<enc>:<modelId>:<payload>"` of [e_0 … e_{d−1}, bias] (`values`, length d + 1). */
export function encodeVector(values: ArrayLike<number>, modelId: string, enc: VectorEncoding = 'f16'): string {
  if (!/^[0-9a-f]{8}$/.test(modelId)) throw new RangeError(`modelId must be 8 lower-case hex digits (got ${JSON.stringify(modelId)})`)
  const n = values.length
  let bytes: Uint8Array
  if (enc === 'f32') {
    bytes = new Uint8Array(4 * n)
    const dv = new DataView(bytes.buffer)
    for (let i = 0; i < n; i++) dv.setFloat32(4 * i, values[i]!, true)
  } else if (enc === 'f16') {
    bytes = new Uint8Array(2 * n)
    const dv = new DataView(bytes.buffer)
    for (let i = 0; i < n; i++) dv.setUint16(2 * i, toHalf(values[i]!), true)
  } else if (enc === 'i8') {
    let max = 0
    for (let i = 0; i < n; i++) max = Math.max(max, Math.abs(values[i]!))
    const scale = max > 0 ? Math.fround(max / 127) : 1
    bytes = new Uint8Array(4 + n)
    const dv = new DataView(bytes.buffer)
    dv.setFloat32(0, scale, true)
    for (let i = 0; i < n; i++) dv.setInt8(4 + i, Math.max(-127, Math.min(127, Math.round(values[i]! / scale))))
  } else {
    throw new RangeError(`encoding must be f32, f16 or i8 (got ${JSON.stringify(enc)})`)
  }
  return `${enc}:${modelId}:${toBase64url(bytes)}`
}

export type DecodedVector = { ok: true; values: Float32Array; encoding: VectorEncoding } | { ok: false; reason: string }

/**
 * Decode a `vector` for a model whose id is `modelId` and whose embeddings have `length` = d + 1
 * values. Never throws: a vector from another model, of the wrong length, or not base64url
 * comes back as `{ ok: false, reason }`, because the caller (the encoder) then embeds the item
 * from its content; `decodeVector` is the throwing variant.
 */
export function parseVector(s: unknown, modelId: string, length: number): DecodedVector {
  if (typeof s !== 'string') return { ok: false, reason: 'is not a string' }
  if (s.length > MAX_VECTOR_CHARS) return { ok: false, reason: `is ${s.length} characters (at most ${MAX_VECTOR_CHARS})` }
  const m = VECTOR_PATTERN.exec(s)
  if (!m) return { ok: false, reason: 'is not "<f32|f16|i8>:<8 hex modelId>:<base64url>"' }
  const enc = m[1] as VectorEncoding
  if (m[2] !== modelId) return { ok: false, reason: `belongs to model ${m[2]!}, not this model (${modelId}): exported by another training run` }
  const bytes = fromBase64url(m[3]!)
  if (typeof bytes === 'string') return { ok: false, reason: bytes }
  const want = enc === 'f32' ? 4 * length : enc === 'f16' ? 2 * length : 4 + length
  if (bytes.length !== want) {
    const got = enc === 'f32' ? bytes.length / 4 : enc === 'f16' ? bytes.length / 2 : bytes.length - 4
    return { ok: false, reason: `holds ${Number.isInteger(got) ? got : `${bytes.length} bytes, not a whole number of`} values, this model needs ${length} (d + 1)` }
  }
  const values = new Float32Array(length)
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (enc === 'f32') for (let i = 0; i < length; i++) values[i] = dv.getFloat32(4 * i, true)
  else if (enc === 'f16') for (let i = 0; i < length; i++) values[i] = fromHalf(dv.getUint16(2 * i, true))
  else {
    const scale = dv.getFloat32(0, true)
    if (!Number.isFinite(scale) || scale < 0) return { ok: false, reason: `i8 scale ${scale} is not a finite non-negative number` }
    for (let i = 0; i < length; i++) values[i] = dv.getInt8(4 + i) * scale
  }
  for (let i = 0; i < length; i++) if (!Number.isFinite(values[i]!)) return { ok: false, reason: `value ${i} is not finite` }
  return { ok: true, values, encoding: enc }
}

/** `parseVector`, throwing a RangeError with the reason (for tools and tests). */
export function decodeVector(s: string, modelId: string, length: number): Float32Array {
  const r = parseVector(s, modelId, length)
  if (!r.ok) throw new RangeError(`vector ${r.reason}`)
  return r.values
}

// --- item space -----------------------------------------------------------------------------

/**
 * model.json fields that say which item space a model's embeddings live in (written by
 * src/offline/feed). A model.json without `itemSpace` uses no carried vector at all.
 */
export interface ItemSideFields {
  /** SHA-256 (hex) id of the item embedding space (`itemSpaceId`); vectors name its first 8 digits. */
  itemSpace?: string
  /**
   * What the exporter kept of the item table (informative): 'table' = every vocabulary row,
   * 'feed' = the reserved rows plus `keptRows` − 3 most popular items, out of `sourceVocab`.
   */
  itemSide?: { mode: 'table' | 'feed'; keptRows: number; sourceVocab: number }
}

/** What the item embeddings depend on: hashed into the model's `itemSpace`. */
export interface ItemSpaceInput {
  d: number
  featBuckets: number
  featSlots: number
  /** The whole vocabulary of the source (whole-table) model, in row order. */
  vocab: ReadonlyArray<string>
  itemEmb: Float32Array
  itemBias: Float32Array
  featEmb: Float32Array
  featBias: Float32Array
}

/**
 * itemSpace = SHA-256 (hex) of a header line
 *   "localrank-item-space/1 d=<d> buckets=<featBuckets> slots=<featSlots>\n" + vocab.join("\n") + "\n"
 * (UTF-8), followed by the float32 little-endian bytes of item_emb, item_bias, feat_emb and
 * feat_bias of the *whole-table* model, in that order.
 *
 * Those are exactly the inputs of e(item) and bias(item); the Transformer blocks are not, so a
 * user-side artifact re-exported from the same training (another --keep-top, another
 * quantisation of the blocks) keeps its id and its feed, while any retraining changes it.
 * The user-side artifact stores this id in model.json (`itemSpace`) because it no longer holds
 * the whole item table it was computed from; a vector's modelId is its first 8 hex digits
 * (32 bits: two exports colliding by chance is a 1-in-4-billion event).
 */
export async function itemSpaceId(x: ItemSpaceInput): Promise<string> {
  const head = new TextEncoder().encode(`localrank-item-space/1 d=${x.d} buckets=${x.featBuckets} slots=${x.featSlots}\n${x.vocab.join('\n')}\n`)
  const parts = [x.itemEmb, x.itemBias, x.featEmb, x.featBias]
  const total = head.length + parts.reduce((a, p) => a + p.length * 4, 0)
  const buf = new Uint8Array(total)
  buf.set(head, 0)
  const dv = new DataView(buf.buffer)
  let o = head.length
  for (const p of parts) for (let i = 0; i < p.length; i++, o += 4) dv.setFloat32(o, p[i]!, true)
  return sha256Hex(buf)
}

/** The 8-hex modelId of an itemSpace id. */
export function modelIdOf(itemSpace: string): string {
  if (!/^[0-9a-f]{64}$/.test(itemSpace)) throw new RangeError(`itemSpace must be 64 lower-case hex digits (got ${JSON.stringify(itemSpace)})`)
  return itemSpace.slice(0, 8)
}
