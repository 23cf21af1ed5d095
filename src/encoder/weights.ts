/**
 * The encoder's artifact: TensorFlow.js's weights-manifest format (`model.json` with a
 * `weightsManifest` whose entries name, shape and optionally quantise each weight, plus `.bin`
 * shards; https://www.tensorflow.org/js/guide/save_load), extended with LocalRank's config,
 * item vocabulary and the SHA-256 of the shard bytes. Quantisation follows tfjs-converter's
 * encoding, so `tf.io.loadWeights` can read the same files:
 * - `float16`: IEEE half precision, dequantised exactly to float32;
 * - `uint8`: affine, value = q·scale + min, per weight (error ≤ scale/2).
 *
 * This module has no TensorFlow.js or Node dependency: the worker verifies and decodes weights
 * before it loads any tfjs code, and the trainer writes them with the same functions.
 */
import { sha256Hex } from '../hash'
import { FIRST_ITEM_ROW, type EncoderConfig } from './config'

export const ARTIFACT_FORMAT = 'localrank-encoder'
export const ARTIFACT_VERSION = 1

export type Quantization = 'float32' | 'float16' | 'uint8'

export interface WeightSpec {
  name: string
  shape: number[]
  dtype: 'float32'
  quantization?: { dtype: 'float16' } | { dtype: 'uint8'; scale: number; min: number }
}

export interface ModelArtifact {
  format: typeof ARTIFACT_FORMAT
  formatVersion: number
  config: EncoderConfig
  /** Item ids of table rows FIRST_ITEM_ROW, FIRST_ITEM_ROW+1, … */
  vocab: string[]
  weightsManifest: Array<{ paths: string[]; weights: WeightSpec[] }>
  /** SHA-256 (hex) of the shard bytes concatenated in manifest order. */
  sha256: string
  /**
   * The model's pin as the exporter computed it (`modelSha256()`): what a shop copies into
   * `modelSha256` / `data-model-sha256`. Informative: it is not part of what it hashes, and a
   * pin given by the page wins over it.
   */
  modelSha256?: string
  /** Licence/attribution of the data the weights were trained on. */
  license?: string
  /** Free-form training record (dataset, epochs, validation figures). */
  training?: Record<string, unknown>
}

export interface NamedWeight {
  name: string
  shape: number[]
  data: Float32Array
}

// --- float16 -------------------------------------------------------------------------------

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** float32 → IEEE 754 half (round to nearest even), with subnormals, ±Inf and NaN. */
export function toHalf(v: number): number {
  f32[0] = v
  const x = u32[0]!
  const sign = (x >>> 16) & 0x8000
  const exp = (x >>> 23) & 0xff
  let mant = x & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0)
  const e = exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    if (e < -10) return sign
    mant |= 0x800000
    const shift = 14 - e
    let h = mant >>> shift
    const rem = mant & ((1 << shift) - 1)
    const half = 1 << (shift - 1)
    if (rem > half || (rem === half && h & 1)) h++
    return sign | h
  }
  let h = (e << 10) | (mant >>> 13)
  const rem = mant & 0x1fff
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++
  return sign | h
}

/** IEEE 754 half → float32 value. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >>> 10) & 0x1f
  const mant = h & 0x3ff
  if (exp === 0) return sign * mant * 2 ** -24
  if (exp === 0x1f) return mant ? NaN : sign * Infinity
  return sign * (1 + mant / 1024) * 2 ** (exp - 15)
}

// --- encode / decode -----------------------------------------------------------------------

/** Bytes of each weight under `q`, concatenated, and the manifest entries describing them. */
export function encodeWeights(weights: ReadonlyArray<NamedWeight>, q: Quantization = 'float32'): { specs: WeightSpec[]; data: Uint8Array } {
  const parts: Uint8Array[] = []
  const specs: WeightSpec[] = []
  for (const w of weights) {
    const n = w.data.length
    if (q === 'float16') {
      const h = new Uint16Array(n)
      for (let i = 0; i < n; i++) h[i] = toHalf(w.data[i]!)
      parts.push(new Uint8Array(h.buffer))
      specs.push({ name: w.name, shape: w.shape, dtype: 'float32', quantization: { dtype: 'float16' } })
    } else if (q === 'uint8') {
      let min = Infinity
      let max = -Infinity
      for (let i = 0; i < n; i++) {
        min = Math.min(min, w.data[i]!)
        max = Math.max(max, w.data[i]!)
      }
      if (n === 0) min = max = 0
      const scale = max > min ? (max - min) / 255 : 1
      const b = new Uint8Array(n)
      for (let i = 0; i < n; i++) b[i] = Math.round((w.data[i]! - min) / scale)
      parts.push(b)
      specs.push({ name: w.name, shape: w.shape, dtype: 'float32', quantization: { dtype: 'uint8', scale, min } })
    } else {
      parts.push(new Uint8Array(w.data.buffer.slice(w.data.byteOffset, w.data.byteOffset + w.data.byteLength)))
      specs.push({ name: w.name, shape: w.shape, dtype: 'float32' })
    }
  }
  return { specs, data: concatBytes(parts) }
}

export function concatBytes(parts: ReadonlyArray<Uint8Array>): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

function bytesPer(spec: WeightSpec): number {
  const q = spec.quantization?.dtype
  return q === 'float16' ? 2 : q === 'uint8' ? 1 : 4
}

/** Inverse of `encodeWeights`: float32 arrays by name. Throws when the bytes do not match the specs. */
export function decodeWeights(specs: ReadonlyArray<WeightSpec>, data: Uint8Array): Map<string, NamedWeight> {
  const out = new Map<string, NamedWeight>()
  let o = 0
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1)
    const len = n * bytesPer(s)
    if (o + len > data.length) throw new RangeError(`weights end before "${s.name}" (${data.length} bytes, need ${o + len})`)
    const bytes = data.slice(o, o + len)
    o += len
    const values = new Float32Array(n)
    const q = s.quantization
    if (q?.dtype === 'float16') {
      const h = new Uint16Array(bytes.buffer)
      for (let i = 0; i < n; i++) values[i] = fromHalf(h[i]!)
    } else if (q?.dtype === 'uint8') {
      for (let i = 0; i < n; i++) values[i] = bytes[i]! * q.scale + q.min
    } else {
      values.set(new Float32Array(bytes.buffer))
    }
    out.set(s.name, { name: s.name, shape: s.shape.slice(), data: values })
  }
  if (o !== data.length) throw new RangeError(`weights have ${data.length - o} unexpected trailing bytes`)
  return out
}

/** SHA-256 (lower-case hex): the project's one (src/hash.ts), re-exported where the pins were first computed. */
export { sha256Hex }

// --- the model pin ---------------------------------------------------------------------------

/**
 * Fields of model.json that do not change what the model computes, left out of the pin: the
 * pin itself, the licence text and the free-form training record. Everything else is pinned,
 * including fields a later format version adds (a deny list, so nothing new slips through).
 */
const UNPINNED = new Set(['modelSha256', 'license', 'training'])

/**
 * Canonical JSON, as in RFC 8785 (JSON Canonicalization Scheme): object keys sorted by UTF-16
 * code units, no whitespace, numbers and strings as ECMAScript's JSON.stringify writes them
 * (shortest round-trip form), `undefined` members dropped. Two parses of the same model.json
 * give the same text whatever its original formatting or key order.
 */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null'
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`
  const o = v as Record<string, unknown>
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`
}

/**
 * What the pin covers: model.json without its UNPINNED fields and without the shard `paths`
 * (where the bytes are fetched from does not change them: they are checked against `sha256`,
 * which is pinned). Config, vocabulary, weight names, shapes and quantisation are all in it.
 */
export function pinnedView(a: ModelArtifact): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(a)) if (!UNPINNED.has(k)) out[k] = v
  out['weightsManifest'] = a.weightsManifest.map((g) => {
    const { paths: _paths, ...rest } = g
    return rest
  })
  return out
}

/**
 * The model's pin (`modelSha256`, `data-model-sha256`):
 *   pin = SHA-256(UTF-8(canonicalJson(pinnedView(model.json))))
 * model.json's `sha256` (the digest of the weight bytes) is inside the pinned view, so the pin
 * covers the weights too, and the loader can check model.json against it before downloading
 * any shard. A digest of the weight bytes alone let a swapped vocabulary or a changed config
 * through with the ranking changed (issue 13 #12).
 */
export async function modelSha256(a: ModelArtifact): Promise<string> {
  return sha256Hex(new TextEncoder().encode(canonicalJson(pinnedView(a))))
}

/** Structural check of a parsed model.json; returns a reason string when it is not usable. */
export function artifactProblem(a: unknown): string | null {
  if (!a || typeof a !== 'object') return 'model.json is not an object'
  const m = a as Partial<ModelArtifact>
  if (m.format !== ARTIFACT_FORMAT) return `format is ${JSON.stringify(m.format)}, expected "${ARTIFACT_FORMAT}"`
  if (m.formatVersion !== ARTIFACT_VERSION) return `formatVersion ${String(m.formatVersion)} is not supported (expected ${ARTIFACT_VERSION})`
  if (!m.config || typeof m.config.d !== 'number') return 'config is missing'
  if (!Array.isArray(m.vocab)) return 'vocab is missing'
  if (!Array.isArray(m.weightsManifest) || m.weightsManifest.length === 0) return 'weightsManifest is missing'
  if (typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256)) return 'sha256 is missing or not 64 hex digits'
  if (m.modelSha256 !== undefined && (typeof m.modelSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.modelSha256))) return 'modelSha256 is not 64 hex digits'
  if (!m.weightsManifest.every((g) => g && Array.isArray(g.paths) && Array.isArray(g.weights))) return 'weightsManifest entries need paths and weights arrays'
  if (m.config.vocabSize !== m.vocab.length + FIRST_ITEM_ROW) return `config.vocabSize ${m.config.vocabSize} ≠ vocab length ${m.vocab.length} + ${FIRST_ITEM_ROW} reserved rows`
  return null
}
