/**
 * Issue 14's compute-limit report, hooked into the limits section (run.ts) and the target table
 * (lib/report.ts):
 *
 * - targets `ideal/wasm/h200` (≤ 6) and `ideal/wasm/h50` (≤ 10): the raw worker pass p50 (the
 *   engine worker's own full-encode + scoring time, warm reps) ÷ (FLOPs ÷ the matmul peak that
 *   the limits section measured with tfjs-wasm in the same browser), worst over the candidate
 *   counts at that history size. The per-size values are the limits section's `compute/…` rows;
 *   FLOPs are counted by lib/flops.ts (see there, and the note pushed below);
 * - a profile of one full encode at 50 and 200 events (browser/ideal-ops.ts): kernels per encode
 *   (tf.profile's kernel list) and BatchMatMul's share of the summed kernel time.
 */
import type { Page } from '@playwright/test'
import { derived, missing } from './lib/rows'
import type { Results, Row, Target } from './lib/schema'
import type { EncodeProfile } from './browser/ideal-ops'

/** History sizes of the profile and of the ideal targets, with each target's limit. */
export const IDEAL_LIMITS: ReadonlyArray<{ history: number; limit: number }> = [
  { history: 200, limit: 6 },
  { history: 50, limit: 10 },
]

/**
 * Kernels per full encode of the shipped model (2 blocks, 2 heads), per profiled history size:
 * issue 14's "kernel count budget". src/encoder/attention-encode.ts runs 62 at every length
 * (2 blocks × (2 LayerNorms × 5 + k, v per head, Kᵀ and its split, 6 per head, AddN, FFN 2 + Add));
 * the budget leaves room for two more. Node's src/encoder/attention.test.ts holds the same budget.
 */
export const KERNEL_BUDGET: ReadonlyArray<{ history: number; limit: number }> = [
  { history: 200, limit: 64 },
  { history: 50, limit: 64 },
]

export const IDEAL_NOTES = [
  "Ideal targets (issue 14): FLOPs are counted as the model computes them (lib/flops.ts): the 2-block encoder over the m-token context with dense m×m attention (the causal mask is applied to a full product, so the masked half counts), q/k/v/output projections, the 2-layer FFN and the content-embedding sums over the 12 feature slots, plus the fuse and n·(2·F·d + 2·d) for scoring n candidates; a multiply-add is 2 FLOPs; LayerNorm, softmax, biases and the gate's elementwise work are left out (a slight underestimate of the work, so the ratio slightly overstates the distance to the limit). The WASM full encode (src/encoder/attention-encode.ts) also centres each LayerNorm's input with a product x·(I − 1/d) (4 LayerNorms × 2·m·d²: +20% at 50 tokens, +14% at 200); those are not counted either, being a way to run the model in fewer kernels rather than its arithmetic. Peak = the highest GFLOP/s of a 1024×1024 tfjs-wasm matMul in a worker of the same browser (see the next note).",
  "Peak: sampled with the same worker before each history size's WASM passes and after the last (interleaved with them, so that a load change during the run moves both), plus the limits section's own reps; the ideal ratio divides by the highest of these samples (the machine's best, not its median under load): a conservative ratio.",
  "Encode profile: the shipped model loaded in the bench worker with the engine's loadModel, one EncoderSession.flush() (the full encode the engine's worker runs after setHistory) under tf.profile, after one unprofiled encode; the median-time of the profiled reps is kept. Kernels = tf.profile entries whose name has a registered kernel on the backend (the customGrad wrappers around linear layers, \"unnamed scope\", are left out: their time is their inner kernels'). Kernel time is tf.profile's kernelTimeMs summed (time inside kernels, not the JS between them); in a worker of a page that is not cross-origin isolated performance.now() has 0.1 ms resolution, so at 50 events, where most kernels take less than that, the share is coarse.",
]

/** Profile rows for one backend (group 'profile'), from the bench worker. */
export async function profileRows(page: Page, backend: string, modelPresent: boolean, reps: number): Promise<Row[]> {
  const H = IDEAL_LIMITS.map((x) => x.history).sort((a, b) => a - b)
  const attrs = (h: number) => ({ group: 'profile', backend, history: h })
  if (!modelPresent)
    return H.flatMap((h) => [
      missing(`profile/${backend}/h${h}/kernels`, `${backend} h${h}: kernels per full encode`, 'count', 'model missing', attrs(h)),
      missing(`profile/${backend}/h${h}/matmul-share`, `${backend} h${h}: BatchMatMul share of kernel time`, '%', 'model missing', attrs(h)),
    ])
  const r = await page.evaluate(
    async ([backend, histories, reps]) => {
      const mod = (await import('/perf-gen/bench-page.js' as string)) as { benchWorker(u: string): { call<T>(op: string, a?: Record<string, number | string>): Promise<T>; terminate(): void } }
      const w = mod.benchWorker('/perf-gen/bench-worker.js')
      try {
        await w.call('init', { backend })
        return { prof: await w.call<EncodeProfile[]>('profileEncode', { url: '/model/model.json', histories, reps }), error: null as string | null }
      } catch (e) {
        return { prof: [] as EncodeProfile[], error: String(e) }
      } finally {
        w.terminate()
      }
    },
    [backend, H.join(','), reps] as const,
  )
  return H.flatMap((h) => {
    const p = r.prof.find((x) => x.history === h)
    const why = r.error ?? 'not profiled'
    const top = p ? p.top.map((k) => `${k.name} ×${k.count} ${k.ms.toFixed(2)} ms`).join(', ') : ''
    return [
      derived(
        `profile/${backend}/h${h}/kernels`,
        `${backend} h${h}: kernels per full encode`,
        'count',
        p?.kernels ?? null,
        { ...attrs(h), detail: p ? `kernel time ${p.kernelMs.toFixed(2)} ms (${p.wrappers} customGrad wrapper entries not counted); most time: ${top}` : '' },
        why,
      ),
      derived(`profile/${backend}/h${h}/matmul-share`, `${backend} h${h}: BatchMatMul share of kernel time`, '%', p ? 100 * p.matmulShare : null, attrs(h), why),
      derived(
        `profile/${backend}/h${h}/product-share`,
        `${backend} h${h}: BatchMatMul + _FusedMatMul share of kernel time`,
        '%',
        p ? 100 * p.productShare : null,
        { ...attrs(h), detail: 'every matrix product, with or without a fused bias/ReLU' },
        why,
      ),
    ]
  })
}

/** The `kernels/wasm/h…` targets from the limits section's profile rows. */
export function kernelTargets(r: Omit<Results, 'targets'>): Target[] {
  const rows = r.sections.limits.rows
  return KERNEL_BUDGET.map(({ history, limit }) => {
    const id = `kernels/wasm/h${history}`
    const measure = `Kernels per full encode, WASM, ${history} events`
    const target = `≤ ${limit} kernels`
    const row = rows.find((x) => x.id === `profile/wasm/h${history}/kernels`)
    if (!row || row.p50 === null) {
      const why = r.sections.limits.status === 'skipped' ? (r.sections.limits.reason ?? 'limits section not run') : (row?.unavailable ?? 'not profiled')
      return { id, measure, target, value: null, limit, met: null, where: '—', note: why }
    }
    return { id, measure, target, value: row.p50, limit, met: row.p50 <= limit, where: 'tf.profile of EncoderSession.flush, shipped model', note: String(row.attrs.detail ?? '') }
  })
}

/** The `ideal/wasm/h…` targets from the limits section's compute rows (worst over candidate counts). */
export function idealTargets(r: Omit<Results, 'targets'>): Target[] {
  const rows = r.sections.limits.rows
  const ideal = IDEAL_LIMITS.map(({ history, limit }): Target => {
    const id = `ideal/wasm/h${history}`
    const measure = `Raw WASM pass ÷ compute limit, ${history} events`
    const target = `≤ ${limit}× (FLOPs ÷ measured matmul peak)`
    const mine = rows.filter((x) => x.attrs.group === 'compute' && x.attrs.backend === 'wasm' && x.attrs.history === history)
    const got = mine.filter((x) => x.p50 !== null)
    if (got.length === 0) {
      const why = r.sections.limits.status === 'skipped' ? (r.sections.limits.reason ?? 'limits section not run') : (mine[0]?.unavailable ?? 'no compute row for this size')
      return { id, measure, target, value: null, limit, met: null, where: '—', note: why }
    }
    const worst = got.reduce((a, b) => (b.p50! > a.p50! ? b : a))
    return {
      id,
      measure,
      target,
      value: worst.p50,
      limit,
      met: worst.p50! <= limit,
      where: `worst of ${got.length}: c${worst.attrs.candidates}`,
      note: `raw worker pass p50 (full encode + scoring, warm reps) ÷ (FLOPs ÷ peak); all: ${got.map((x) => `c${x.attrs.candidates} ${x.p50!.toFixed(1)}× (${String(x.attrs.detail ?? '')})`).join('; ')}`,
    }
  })
  return [...ideal, ...kernelTargets(r)]
}
