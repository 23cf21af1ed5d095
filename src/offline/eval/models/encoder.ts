import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { StoredEvent } from '../../../events/types'
import { createProfile } from '../../../interest'
import { rankCandidates, type RankerConfig } from '../../../rank'
import type { Candidate } from '../../../rank/types'
import { EncoderSession, loadModel, withoutTime, type LoadedModel } from '../../../encoder/session'
import { artifactProblem, modelSha256, sha256Hex, type ModelArtifact } from '../../../encoder/weights'
import { initTf } from '../../train/tf-node'
import type { ModelSpec } from '../types'

/** Where the shipped model lives; `LOCALRANK_ENCODER_MODEL=dir` evaluates another export. */
export const DEFAULT_ENCODER_DIR = process.env.LOCALRANK_ENCODER_MODEL ?? 'public/model'
/**
 * An export of the same encoder trained without its time signal (`npm run train -- --no-time
 * --no-gap --out DIR`), evaluated as `encoder-notime` when `LOCALRANK_ENCODER_NOTIME_MODEL=DIR`
 * is set: the ablation the time-aware design has to beat.
 */
export const NOTIME_ENCODER_DIR = process.env.LOCALRANK_ENCODER_NOTIME_MODEL

export interface EncoderModelOptions {
  name: string
  description: string
  dir?: string
  /** Ranker weights; default: the encoder alone. */
  ranker?: Partial<RankerConfig>
  /** Also feed the decay profile (with the similarity table), as the browser engine does. */
  withProfile?: boolean
  /**
   * Switch the trained model's time inputs off at inference (no decay bias on attention, no gap
   * in the gate): how much the *trained* model leans on time. Not a substitute for the ablation
   * trained without them (`encoder-notime`), which can learn to compensate.
   */
  timeOff?: boolean
}

const loaded = new Map<string, Promise<LoadedModel>>()

/** Load (once per directory) and verify an exported model with the browser's own code. */
async function load(dir: string): Promise<LoadedModel> {
  const known = loaded.get(dir)
  if (known) return known
  const loading = (async () => {
    const file = join(dir, 'model.json')
    if (!existsSync(file)) throw new Error(`encoder model not found at ${file} (train one with \`npm run train\`, or set LOCALRANK_ENCODER_MODEL)`)
    await initTf('wasm')
    const artifact = JSON.parse(readFileSync(file, 'utf8')) as ModelArtifact
    const problem = artifactProblem(artifact)
    if (problem) throw new Error(`${file}: ${problem}`)
    const parts = artifact.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p))))
    const bytes = new Uint8Array(Buffer.concat(parts))
    const sha = await sha256Hex(bytes)
    if (sha !== artifact.sha256) throw new Error(`${dir}: weights sha256 ${sha} ≠ ${artifact.sha256}`)
    if (artifact.modelSha256 !== undefined && (await modelSha256(artifact)) !== artifact.modelSha256) throw new Error(`${file}: does not match the model SHA-256 it declares (${artifact.modelSha256})`)
    return loadModel(artifact, bytes)
  })()
  loaded.set(dir, loading)
  return loading
}

/**
 * The encoder, replayed through the browser's code: each event goes to an `EncoderSession`
 * (src/encoder/session.ts, the worker's session: lazy full encode, then incremental appends over
 * the KV cache), and each list is ranked by `rankCandidates` (src/rank), the function the
 * engine's `rerank` ends in, with the encoder's scores in its encoder slot. The deadline of
 * `rerank` is left out on purpose: an offline figure must not depend on machine load.
 */
export function encoderModel(o: EncoderModelOptions): ModelSpec {
  const dir = o.dir ?? DEFAULT_ENCODER_DIR
  return {
    name: o.name,
    description: o.description,
    group: 'encoder',
    unavailable: () => (existsSync(join(dir, 'model.json')) ? null : `no model at ${join(dir, 'model.json')} (train one with \`npm run train\`, or set LOCALRANK_ENCODER_MODEL)`),
    params: { dir, ...(o.ranker ? { ranker: o.ranker } : {}), ...(o.withProfile ? { profile: true } : {}), ...(o.timeOff ? { timeOff: true } : {}) },
    create: (ctx) => {
      const modelP = o.timeOff ? load(dir).then(withoutTime) : load(dir)
      const sim = o.withProfile ? ctx.similarity() : undefined
      let previous: EncoderSession | null = null
      return {
        session: () => {
          // The runner replays one user at a time: release the previous user's tensors.
          previous?.dispose()
          previous = null
          let session: EncoderSession | null = null
          const pendingEvents: StoredEvent[] = []
          const profile = o.withProfile ? createProfile(undefined, sim) : null
          const purchases = new Map<string, number>()
          return {
            add(e: StoredEvent) {
              profile?.add(e)
              if (e.type === 'purchase') for (const it of e.items) purchases.set(it.id, Math.max(purchases.get(it.id) ?? 0, e.timestamp))
              if (session) session.append(e)
              else pendingEvents.push(e)
            },
            async score(cands: ReadonlyArray<Candidate>, now: number) {
              if (!session) {
                session = new EncoderSession(await modelP)
                session.setHistory(pendingEvents)
                previous = session
              }
              const enc = await session.score(cands, now)
              const res = rankCandidates(cands, { now, profile, purchases, encoderScores: enc, ...(o.ranker ? { config: o.ranker } : {}) }, { explain: false })
              if (res.items.length !== cands.length) throw new Error(`ranker returned ${res.items.length} of ${cands.length} candidates`)
              const out = new Float64Array(cands.length)
              for (const it of res.items) out[it.serverRank] = it.score
              return out
            },
          }
        },
      }
    },
  }
}

/** The registry's encoder rows: the encoder alone, and fused with the profile as the browser does. */
export function encoderModels(dir = DEFAULT_ENCODER_DIR, notimeDir = NOTIME_ENCODER_DIR): ModelSpec[] {
  const alone = { weights: { server: 0, profile: 0, encoder: 1 } }
  return [
    encoderModel({ name: 'encoder', description: `time-aware Transformer encoder alone (${dir})`, dir, ranker: alone }),
    encoderModel({ name: 'encoder+profile', description: 'encoder fused with the decay profile and server order (browser defaults)', dir, withProfile: true }),
    encoderModel({ name: 'encoder-timeoff', description: 'the shipped encoder with its time inputs switched off at inference (no retraining)', dir, ranker: alone, timeOff: true }),
    ...(notimeDir ? [encoderModel({ name: 'encoder-notime', description: `the same encoder trained without time signal (no decay bias, no gap gate; ${notimeDir})`, dir: notimeDir, ranker: alone })] : []),
  ]
}
