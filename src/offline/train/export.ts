import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { EncoderConfig } from '../../encoder/config'
import { paramShapes } from '../../encoder/model'
import { ARTIFACT_FORMAT, ARTIFACT_VERSION, decodeWeights, encodeWeights, modelSha256, sha256Hex, type ModelArtifact, type NamedWeight, type Quantization } from '../../encoder/weights'

/** The notice every artifact trained on MovieLens must carry (../shared/datasets/README.md). */
export const GROUPLENS_NOTICE =
  'Trained on the MovieLens "latest-small" dataset (GroupLens Research, University of Minnesota), ' +
  'redistributed under the GroupLens terms: research use only, no commercial use, no endorsement implied. ' +
  'F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History and Context. ' +
  'ACM Transactions on Interactive Intelligent Systems (TiiS) 5, 4: 19:1-19:19. https://doi.org/10.1145/2827872'

export interface ExportResult {
  dir: string
  /** SHA-256 of the weight bytes (model.json's `sha256`). */
  sha256: string
  /** The model's pin (weights.ts `modelSha256`): what a page puts in `modelSha256` / data-model-sha256. */
  modelSha256: string
  weightBytes: number
  modelJsonBytes: number
}

/** Weights in manifest order (paramShapes), checking every one is present with its shape. */
export function orderedWeights(cfg: EncoderConfig, values: ReadonlyMap<string, { shape: number[]; data: Float32Array }>): NamedWeight[] {
  return paramShapes(cfg).map(([name, shape]) => {
    const w = values.get(name)
    if (!w) throw new Error(`export: weight ${name} missing`)
    if (w.shape.join('x') !== shape.join('x')) throw new Error(`export: weight ${name} has shape ${w.shape}, expected ${shape}`)
    return { name, shape, data: w.data }
  })
}

/**
 * Write `model.json` (+ `weights.bin`) to `dir`: the tfjs weights manifest plus config, vocab
 * and the SHA-256 of the weight bytes (what `createEncoder({ sha256 })` checks).
 */
export async function exportModel(
  dir: string,
  cfg: EncoderConfig,
  vocab: string[],
  values: ReadonlyMap<string, { shape: number[]; data: Float32Array }>,
  opts: { quantization?: Quantization; license?: string; training?: Record<string, unknown>; shard?: string } = {},
): Promise<ExportResult> {
  mkdirSync(dir, { recursive: true })
  const shard = opts.shard ?? 'weights.bin'
  const { specs, data } = encodeWeights(orderedWeights(cfg, values), opts.quantization ?? 'float32')
  const sha256 = await sha256Hex(data)
  const artifact: ModelArtifact = {
    format: ARTIFACT_FORMAT,
    formatVersion: ARTIFACT_VERSION,
    config: cfg,
    vocab,
    weightsManifest: [{ paths: [shard], weights: specs }],
    sha256,
    ...(opts.license ? { license: opts.license } : {}),
    ...(opts.training ? { training: opts.training } : {}),
  }
  artifact.modelSha256 = await modelSha256(artifact)
  const json = JSON.stringify(artifact)
  writeFileSync(join(dir, shard), data)
  writeFileSync(join(dir, 'model.json'), json)
  return { dir, sha256, modelSha256: artifact.modelSha256, weightBytes: data.length, modelJsonBytes: Buffer.byteLength(json) }
}

/** Read an exported model back (Node), verifying its SHA-256. */
export async function readModel(dir: string): Promise<{ artifact: ModelArtifact; weights: Map<string, NamedWeight> }> {
  const artifact = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelArtifact
  const parts = artifact.weightsManifest.flatMap((g) => g.paths.map((p) => new Uint8Array(readFileSync(join(dir, p)))))
  const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
  const sha = await sha256Hex(bytes)
  if (sha !== artifact.sha256) throw new Error(`${dir}: weights SHA-256 ${sha} does not match model.json's ${artifact.sha256}`)
  if (artifact.modelSha256 !== undefined && (await modelSha256(artifact)) !== artifact.modelSha256)
    throw new Error(`${dir}: model.json does not match the model SHA-256 it declares (${artifact.modelSha256}): edited after export`)
  return {
    artifact,
    weights: decodeWeights(
      artifact.weightsManifest.flatMap((g) => g.weights),
      bytes,
    ),
  }
}

const BEGIN = '<!-- encoder model: written by npm run train -->'
const END = '<!-- end encoder model -->'

/**
 * Add or refresh the encoder's section of `LICENSE-DATA.md` in `dir`, leaving every other
 * section (e.g. the similarity table's) untouched: the trained weights are a transformation of
 * MovieLens and travel under the GroupLens terms, not the project's MIT licence.
 * `trainedBy` names the trainer in the text (default the TypeScript one, `npm run train`).
 */
export function writeLicenseSection(dir: string, facts: { dataset: string; users: number; parameters: number; sha256: string; trainedBy?: string }): void {
  const file = join(dir, 'LICENSE-DATA.md')
  const section = [
    BEGIN,
    '## model.json + weights.bin (the encoder)',
    '',
    `\`model.json\` and \`weights.bin\` (format \`localrank-encoder\` v1, weights SHA-256 \`${facts.sha256}\`) hold a`,
    `sequence encoder with ${facts.parameters.toLocaleString('en')} parameters trained by ${facts.trainedBy ?? '`npm run train` (src/offline/train/)'} on the`,
    `TRAINING interactions of the MovieLens "${facts.dataset}" data (${facts.users} users; each user's last two`,
    'ratings, the validation and test items, are left out), with item ids, titles and genres in',
    'its vocabulary and feature tables. It is a transformation of that dataset and is redistributed',
    'under the GroupLens conditions quoted in this file: research use only, no commercial or',
    'revenue-bearing use without permission, no implied endorsement by the University of Minnesota',
    "or GroupLens, acknowledgement in publications. It is NOT covered by the project's MIT licence.",
    '',
    '**Citation:** F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History',
    'and Context. ACM Transactions on Interactive Intelligent Systems (TiiS) 5, 4: 19:1–19:19.',
    'https://doi.org/10.1145/2827872',
    END,
  ].join('\n')
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Data licence (MovieLens-derived files in this folder)\n'
  const a = text.indexOf(BEGIN)
  const b = text.indexOf(END)
  if (a >= 0 && b > a) text = text.slice(0, a) + section + text.slice(b + END.length)
  else text = text.replace(/\s*$/, '\n\n') + section + '\n'
  // The GroupLens conditions are quoted by the first section; keep them when this is the only one.
  if (!text.includes('The user may not state or imply any endorsement')) text += `\n${GROUPLENS_NOTICE}\n`
  writeFileSync(file, text)
}
