/**
 * The encoder's conformance suite, one body of checks run on every backend (as tfjs runs its
 * op tests on each one): in Node on CPU and WASM (conformance.test.ts), in Chromium on WASM
 * and WebGPU (e2e/conformance.spec.ts bundles this file). For every model variant it holds
 * three ways of computing the same thing to each other:
 * - the full encode (`forward` over the whole context, tfjs ops);
 * - incremental appends with the tensor step (`forward` against the KV cache as tensors);
 * - incremental appends with the plain-JavaScript step (step.ts, against a read-back cache);
 * and candidate scores through the plain-JS item path against the tensor path (`embedItems` and
 * a matMul, as the trainer scores). It uses only the session's public API (EncoderSession,
 * loadModel, withoutTime), so it keeps working when the internals change.
 *
 * Skips (skipsFor): on WebGPU, every check that reads a tensor back synchronously. tfjs's
 * WebGPU `dataSync` of a tensor that lives on the GPU (tfjs-backend-webgpu 4.22 reads it through
 * OffscreenCanvas 'webgpu' contexts and a 2D canvas) returned all zeros on Chromium 156 with
 * SwiftShader, on the page and in a worker, and destroyed the GPUDevice ("Device was
 * destroyed"): every later read-back failed with "mapAsync: A valid external Instance reference
 * no longer exists". So there the JS step (its cache is read back with dataSync), the
 * synchronous user vector and the tensor path's candidate scores are left out, and every
 * session is built with the tensor step; the worker never reads synchronously on WebGPU either
 * (its step is 'tensors' and it reads scores with `await data()`). The asynchronous score path
 * is checked on every backend. A backend that is not available is the caller's failure, not a
 * skip. Skips match a check by its exact name (without the "(1 min later)" suffix).
 */
import * as tf from '@tensorflow/tfjs-core'
import type { EncoderConfig } from './config'
import type { StoredEvent } from '../events/types'
import { disposeModel, EncoderSession, loadModel, withoutTime, type LoadedModel, type StepMode } from './session'
import { tinyArtifact, tinyConfig, tinyHistory, tinyItem } from './testing'

/** The checks, by name; a row's name is one of these plus " (1 min later)" or " (30 days later)". */
export const CHECKS = {
  tensorStepScores: 'scores, tensor step session vs full encode',
  jsStepScores: 'scores, JS step session vs full encode',
  jsStepUser: 'user vector, JS step vs full encode',
  tensorStepUser: 'user vector, tensor step vs full encode',
  itemPath: 'scores, JS item path vs tensor path',
} as const

const baseName = (check: string) => check.replace(/ \((1 min|30 days) later\)$/, '')

export function skipsFor(backend: string): Array<{ check: string; reason: string }> {
  if (backend !== 'webgpu') return []
  const reason =
    "tfjs's WebGPU backend cannot read a GPU tensor back synchronously: dataSync gave all zeros and destroyed the device on Chromium 156 with SwiftShader (every later read-back: 'A valid external Instance reference no longer exists'); the worker never reads synchronously there"
  return [
    { check: CHECKS.jsStepUser, reason: `userVector reads with dataSync: ${reason}` },
    { check: CHECKS.tensorStepUser, reason: `userVector reads with dataSync: ${reason}` },
    { check: CHECKS.jsStepScores, reason: `the JS step reads the KV cache back with dataSync after each full encode: ${reason} (its default step on WebGPU is 'tensors')` },
    { check: CHECKS.itemPath, reason: `scoreWithTensors and scoreSync read with dataSync: ${reason}` },
  ]
}

export interface Variant {
  name: string
  cfg: Partial<EncoderConfig>
  /** Train-time config as `cfg`, then switched off at inference with `withoutTime` (the eval's encoder-timeoff). */
  timeOffAtInference?: boolean
}

export const VARIANTS: ReadonlyArray<Variant> = [
  { name: 'time bias + gap gate', cfg: { timeBias: true, gapGate: true } },
  { name: 'time bias only', cfg: { timeBias: true, gapGate: false } },
  { name: 'gap gate only', cfg: { timeBias: false, gapGate: true } },
  { name: 'no time inputs', cfg: { timeBias: false, gapGate: false } },
  { name: 'time switched off at inference', cfg: { timeBias: true, gapGate: true }, timeOffAtInference: true },
  { name: 'sliding context (maxLen 12)', cfg: { maxLen: 12 } },
]

/**
 * 14 single views, a 3-item purchase with an item the model has never seen (content only, with
 * brand and price), a search three days later, then 4 more views: multi-item events, searches,
 * unseen items and long and short gaps.
 */
export function conformanceHistory(): StoredEvent[] {
  const base = tinyHistory(14)
  const t = base[base.length - 1]!.timestamp
  return [
    ...base,
    { id: 'p', type: 'purchase', items: [tinyItem(2), tinyItem(5), { id: 'unseen', category: ['Horror', 'Slasher'], brand: 'Acme', price: 9 }], timestamp: t + 40_000 },
    { id: 's', type: 'search', items: [], query: 'space horror', timestamp: t + 3 * 86_400_000 },
    ...tinyHistory(4, t + 3 * 86_400_000 + 5_000, 20_000, 2),
  ]
}

/** Candidates: vocabulary items, unseen items (content only), a bare id, an item listed with other content. */
export function conformanceCandidates() {
  return [
    ...Array.from({ length: 20 }, (_, i) => tinyItem(i)),
    { id: 'never-seen', category: ['Horror', 'Slasher'], brand: 'Acme', price: 12.5, title: 'Night Shift' },
    { id: 'bare' },
    { id: 'm3', category: ['Horror'], title: 'Movie 3 recut', price: 4 },
  ]
}

export interface CheckResult {
  variant: string
  check: string
  maxDiff: number
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return Number.isNaN(m) ? Infinity : m
}

/**
 * Run every variant on the current tfjs backend (with the skips of `opts.skipsOf`, if given: Node
 * runs WebGPU's skip list on CPU to check it reads nothing back synchronously). Returns one row per (variant, check) and the
 * checks skipped on this backend with their reasons; the caller asserts the tolerance (1e-5 on
 * CPU/WASM; WebGPU's float32 reductions differ more). `magnitude` is how far the history moves
 * the scores from those of an empty history, so that comparing constants cannot pass.
 */
export async function runConformance(opts: { skipsOf?: string } = {}): Promise<{ backend: string; results: CheckResult[]; skips: Array<{ check: string; reason: string }>; magnitude: number }> {
  const backend = tf.getBackend()
  const skips = skipsFor(opts.skipsOf ?? backend)
  const skipped = (check: string) => skips.some((s) => s.check === baseName(check))
  // Without the JS step every session uses the tensor step (WebGPU's default), so that no full
  // encode reads its KV cache back with dataSync.
  const jsStep = !skipped(CHECKS.jsStepScores)
  const results: CheckResult[] = []
  let magnitude = Infinity
  const h = conformanceHistory()
  const cands = conformanceCandidates()
  const last = h[h.length - 1]!.timestamp
  const nows = [last + 60_000, last + 30 * 86_400_000]
  for (const v of VARIANTS) {
    const cfg = tinyConfig({ maxLen: 40, ...v.cfg })
    const { artifact, bytes } = await tinyArtifact({ cfg })
    const loaded = loadModel(artifact, bytes)
    const model: LoadedModel = v.timeOffAtInference ? withoutTime(loaded) : loaded
    const sessionOpts = jsStep ? {} : { step: 'tensors' as const }
    const full = new EncoderSession(model, sessionOpts)
    full.setHistory(h)
    const empty = new EncoderSession(model, sessionOpts)
    const steps: StepMode[] = jsStep ? ['js', 'tensors'] : ['tensors']
    const inc = new Map(
      steps.map((step) => {
        const s = new EncoderSession(model, { step })
        s.setHistory(h.slice(0, 6))
        s.flush()
        for (const e of h.slice(6)) s.append(e)
        return [step, s] as const
      }),
    )
    const add = async (check: string, f: () => number | Promise<number>) => {
      if (!skipped(check)) results.push({ variant: v.name, check, maxDiff: await f() })
    }
    for (const now of nows) {
      const label = now === nows[0] ? '1 min later' : '30 days later'
      const ref = await full.score(cands, now)
      magnitude = Math.min(magnitude, maxDiff(ref, await empty.score(cands, now)))
      await add(`${CHECKS.tensorStepScores} (${label})`, async () => maxDiff(await inc.get('tensors')!.score(cands, now), ref))
      await add(`${CHECKS.jsStepScores} (${label})`, async () => maxDiff(await inc.get('js')!.score(cands, now), ref))
      await add(`${CHECKS.jsStepUser} (${label})`, () => maxDiff(inc.get('js')!.userVector(now), full.userVector(now)))
      await add(`${CHECKS.tensorStepUser} (${label})`, () => maxDiff(inc.get('tensors')!.userVector(now), full.userVector(now)))
      await add(`${CHECKS.itemPath} (${label})`, () => maxDiff(full.scoreSync(cands, now), full.scoreWithTensors(cands, now)))
    }
    // The tensor count of a session does not grow with use.
    const before = tf.memory().numTensors
    for (let i = 0; i < 5; i++) await full.score(cands, nows[1]! + i * 1000)
    results.push({ variant: v.name, check: 'tensors leaked by 5 scores', maxDiff: tf.memory().numTensors - before })
    for (const s of [full, empty, ...inc.values()]) s.dispose()
    disposeModel(loaded)
  }
  return { backend, results, skips, magnitude }
}

/** Number of rows `runConformance` returns on `backend`. */
export function expectedChecks(backend: string): number {
  const perNow = Object.keys(CHECKS).length - skipsFor(backend).length
  return VARIANTS.length * (2 * perNow + 1)
}

/** One line per check with the largest difference over variants, for logs and the report. */
export function summarise(results: ReadonlyArray<CheckResult>): string[] {
  const byCheck = new Map<string, CheckResult>()
  for (const r of results) {
    const k = baseName(r.check)
    const cur = byCheck.get(k)
    if (!cur || r.maxDiff > cur.maxDiff) byCheck.set(k, { ...r, check: k })
  }
  return [...byCheck.values()].map((r) => `${r.check}: max ${r.maxDiff.toExponential(2)} (${r.variant})`)
}
