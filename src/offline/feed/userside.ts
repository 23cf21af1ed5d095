/**
 * The user-side artifact (issue 10): what every shopper's browser downloads in feed mode.
 *
 * A whole-table export holds one item_emb/item_bias row per training item (9,681 rows of the
 * shipped model: 1.26 MB of its 1.94 MB, plus a 78 KB id list). The user side keeps everything
 * else unchanged — the Transformer blocks, the event-type table, the hashed content-feature
 * tables, the gate — and of the item table only the reserved rows (padding, out-of-vocabulary,
 * search) plus, optionally, the N most popular items (the vocabulary is in training-frequency
 * order, src/offline/train/data.ts), for shops that cannot add `vector` to every page. With
 * N = 0 its size does not depend on the catalogue at all.
 *
 * Its model.json carries `itemSpace` (vector-codec.ts `itemSpaceId`), computed from the
 * *source* item table it no longer holds, so that the vectors of the item feed can be checked
 * against it in the browser.
 */
import { FIRST_ITEM_ROW, type EncoderConfig } from '../../encoder/config'
import { itemSpaceId, type ItemSideFields } from '../../encoder/vector-codec'
import { ARTIFACT_FORMAT, ARTIFACT_VERSION, encodeWeights, modelSha256, sha256Hex, type ModelArtifact, type NamedWeight, type Quantization } from '../../encoder/weights'
import { orderedWeights } from '../train/export'

export type Artifact = ModelArtifact & ItemSideFields

/** A whole-table model as `readModel` (src/offline/train/export.ts) returns it. */
export interface SourceModel {
  artifact: Artifact
  weights: Map<string, NamedWeight>
}

export class FeedError extends Error {
  override readonly name = 'FeedError'
}

function weight(src: SourceModel, name: string): NamedWeight {
  const w = src.weights.get(name)
  if (!w) throw new FeedError(`model has no weight ${name}`)
  return w
}

/** The item-space id of a whole-table model (vector-codec.ts `itemSpaceId`). */
export async function sourceItemSpace(src: SourceModel): Promise<string> {
  const a = src.artifact
  if (a.itemSide?.mode === 'feed') {
    throw new FeedError(`model is already a user-side artifact (${a.itemSide.keptRows} of ${a.itemSide.sourceVocab + FIRST_ITEM_ROW} item rows): export from the whole-table model it came from`)
  }
  const cfg = a.config
  const id = await itemSpaceId({
    d: cfg.d,
    featBuckets: cfg.featBuckets,
    featSlots: cfg.featSlots,
    vocab: a.vocab,
    itemEmb: weight(src, 'item_emb').data,
    itemBias: weight(src, 'item_bias').data,
    featEmb: weight(src, 'feat_emb').data,
    featBias: weight(src, 'feat_bias').data,
  })
  if (a.itemSpace !== undefined && a.itemSpace !== id) throw new FeedError(`model.json declares itemSpace ${a.itemSpace}, but its item weights hash to ${id}: the file was edited`)
  return id
}

export interface BuiltArtifact {
  artifact: Artifact
  bytes: Uint8Array
  /** Item rows kept (reserved rows included). */
  keptRows: number
}

/**
 * The model with its item table cut to the reserved rows plus the first `keep` vocabulary rows
 * (`keep` = the whole vocabulary gives a table-mode export that carries `itemSpace`).
 */
export async function buildArtifact(src: SourceModel, itemSpace: string, keep: number, opts: { quantization?: Quantization; mode: 'table' | 'feed' }): Promise<BuiltArtifact> {
  const a = src.artifact
  const V = a.vocab.length
  const n = Math.max(0, Math.min(V, Math.floor(keep)))
  const rows = FIRST_ITEM_ROW + n
  const cfg: EncoderConfig = { ...a.config, vocabSize: rows }
  const values = new Map<string, { shape: number[]; data: Float32Array }>()
  for (const [name, w] of src.weights) values.set(name, { shape: w.shape, data: w.data })
  const emb = weight(src, 'item_emb')
  values.set('item_emb', { shape: [rows, cfg.d], data: emb.data.subarray(0, rows * cfg.d) })
  values.set('item_bias', { shape: [rows], data: weight(src, 'item_bias').data.subarray(0, rows) })
  const { specs, data } = encodeWeights(orderedWeights(cfg, values), opts.quantization ?? 'float16')
  const artifact: Artifact = {
    format: ARTIFACT_FORMAT,
    formatVersion: ARTIFACT_VERSION,
    config: cfg,
    vocab: a.vocab.slice(0, n),
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
    sha256: await sha256Hex(data),
    itemSpace,
    itemSide: { mode: opts.mode, keptRows: rows, sourceVocab: V },
    ...(a.license ? { license: a.license } : {}),
    ...(a.training ? { training: a.training } : {}),
  }
  // The model pin (weights.ts `modelSha256`): what a shop copies into `modelSha256`.
  artifact.modelSha256 = await modelSha256(artifact)
  return { artifact, bytes: data, keptRows: rows }
}

/** Bytes of model.json + weights.bin of a built artifact (what the browser downloads, raw). */
export function artifactBytes(b: BuiltArtifact): number {
  return Buffer.byteLength(JSON.stringify(b.artifact)) + b.bytes.length
}

/**
 * The largest N (popular items kept) whose artifact fits in `budget` bytes (model.json +
 * weights.bin, raw), at most `cap`. size(N) = size(0) + Σ_{i<N} (2·(d+1) + |JSON(id_i)| + 1)
 * in float16, up to the digits of a few numbers; the search uses that estimate and then checks
 * the real artifact, stepping down until it fits. Returns −1 when even N = 0 does not fit.
 */
export async function largestFitting(src: SourceModel, itemSpace: string, budget: number, cap: number, quantization: Quantization = 'float16'): Promise<{ n: number; built: BuiltArtifact | null }> {
  const base = await buildArtifact(src, itemSpace, 0, { quantization, mode: 'feed' })
  if (artifactBytes(base) > budget) return { n: -1, built: null }
  const d = src.artifact.config.d
  const per = quantization === 'float32' ? 4 : quantization === 'float16' ? 2 : 1
  let size = artifactBytes(base)
  let n = 0
  const V = Math.min(cap, src.artifact.vocab.length)
  while (n < V) {
    const add = per * (d + 1) + Buffer.byteLength(JSON.stringify(src.artifact.vocab[n])) + 1
    if (size + add > budget) break
    size += add
    n++
  }
  for (;;) {
    const b = n === 0 ? base : await buildArtifact(src, itemSpace, n, { quantization, mode: 'feed' })
    if (artifactBytes(b) <= budget) return { n, built: b }
    n = Math.max(0, n - 8) // a few digits more than estimated: step back
  }
}

/**
 * `--mode auto`'s rule: whole-table mode while the item table at most doubles what the browser
 * downloads, i.e. while catalogue · (per-row bytes) ≤ the user-side artifact's own bytes, where a
 * row costs 2·(d+1) bytes of float16 plus its id in model.json. Below that, adding `vector` and
 * `neighbours` to every page is not worth a shop's engineering time; above it the download grows
 * without bound (13 MB per 100,000 products at d = 64), and the similarity table with it.
 * For the shipped model (d = 64, a 690,300-byte user side) that is 5,019 items.
 */
export function autoTableLimit(userSideBytes: number, d: number, meanIdBytes = 8): number {
  return Math.floor(userSideBytes / (2 * (d + 1) + meanIdBytes + 3))
}
