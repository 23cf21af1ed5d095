/**
 * Fixtures for the encoder's tests (Node): a tiny model with seeded random weights, its
 * artifact, and synthetic histories. Not imported by the runtime.
 */
import type { StoredEvent } from '../events/types'
import { DEFAULT_CONFIG, FIRST_ITEM_ROW, type EncoderConfig } from './config'
import { initWeights, paramShapes } from './model'
import { encodeWeights, sha256Hex, ARTIFACT_FORMAT, ARTIFACT_VERSION, type ModelArtifact, type Quantization } from './weights'

export const GENRES = ['Comedy', 'Drama', 'Horror', 'Sci-Fi', 'Romance']

export function tinyConfig(over: Partial<EncoderConfig> = {}, vocab = 30): EncoderConfig {
  return { ...DEFAULT_CONFIG, d: 16, heads: 2, blocks: 2, ffn: 32, featBuckets: 128, featSlots: 8, maxLen: 24, vocabSize: vocab + FIRST_ITEM_ROW, ...over }
}

export function tinyVocab(n = 30): string[] {
  return Array.from({ length: n }, (_, i) => `m${i}`)
}

/** An item of the tiny catalogue: id m<i>, a genre and a title. */
export function tinyItem(i: number) {
  return { id: `m${i}`, category: [GENRES[i % GENRES.length]!], title: `Movie ${i} ${GENRES[i % GENRES.length]}` }
}

/** A history of `n` views, one item each, spaced `gapMs` apart from `t0`. */
export function tinyHistory(n: number, t0 = 1_700_000_000_000, gapMs = 90_000, seed = 1): StoredEvent[] {
  return Array.from({ length: n }, (_, k) => ({
    id: `e${seed}-${k}`,
    type: k % 7 === 6 ? ('add_to_cart' as const) : ('view_item' as const),
    items: [tinyItem((k * 7 + seed * 3) % 30)],
    timestamp: t0 + k * gapMs + (k % 3) * 1000,
  }))
}

/** A model artifact with seeded random weights (what a trained model looks like, minus training). */
export async function tinyArtifact(opts: { cfg?: EncoderConfig; seed?: number; quantization?: Quantization } = {}): Promise<{ artifact: ModelArtifact; bytes: Uint8Array }> {
  const cfg = opts.cfg ?? tinyConfig()
  const w = initWeights(cfg, opts.seed ?? 7)
  // Random non-zero biases and gate inputs, so that every weight influences the scores.
  let k = 0
  for (const [, v] of w) for (let i = 0; i < v.data.length; i++) if (v.data[i] === 0) v.data[i] = Math.sin(++k) * 0.05
  const named = paramShapes(cfg).map(([name, shape]) => ({ name, shape, data: w.get(name)!.data }))
  const { specs, data } = encodeWeights(named, opts.quantization ?? 'float32')
  const artifact: ModelArtifact = {
    format: ARTIFACT_FORMAT,
    formatVersion: ARTIFACT_VERSION,
    config: cfg,
    vocab: tinyVocab(cfg.vocabSize - FIRST_ITEM_ROW),
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
    sha256: await sha256Hex(data),
  }
  return { artifact, bytes: data }
}
