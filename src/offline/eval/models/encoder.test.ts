import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { StoredEvent } from '../../../events/types'
import type { Candidate } from '../../../rank/types'
import { tinyArtifact, tinyConfig, tinyHistory, tinyItem } from '../../../encoder/testing'
import type { EvalContext } from '../types'
import { encoderModels } from './encoder'

/** An exported tiny model in a temporary directory (model.json + weights.bin), as the exporter writes it. */
async function tinyExport(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'lr-eval-enc-'))
  const { artifact, bytes } = await tinyArtifact({ cfg: tinyConfig({ maxLen: 40 }) })
  writeFileSync(join(dir, 'model.json'), JSON.stringify(artifact))
  writeFileSync(join(dir, 'weights.bin'), bytes)
  return dir
}

const ctx = { similarity: () => undefined } as unknown as EvalContext

function history(): StoredEvent[] {
  const base = tinyHistory(14)
  const t = base[base.length - 1]!.timestamp
  return [
    ...base,
    { id: 'p', type: 'purchase', items: [tinyItem(2), tinyItem(5), { id: 'unseen', category: ['Horror'], brand: 'Acme', price: 9 }], timestamp: t + 40_000 },
    { id: 's', type: 'search', items: [], query: 'space horror', timestamp: t + 3 * 86_400_000 },
    ...tinyHistory(4, t + 3 * 86_400_000 + 5_000, 20_000, 2),
  ]
}

describe('encoder rows of the evaluator', () => {
  // Issue 13 #28: encoder-timeoff switched the config's time flags off, but the JS step kept the
  // decay rates it had derived at load, so its incremental appends still used time (up to 1.55
  // apart from a full encode on the shipped model).
  it('every encoder variant gives the same scores incrementally (appends over the KV cache) and from a full encode', async () => {
    const dir = await tinyExport()
    const specs = encoderModels(dir, dir)
    expect(specs.map((s) => s.name)).toEqual(['encoder', 'encoder+profile', 'encoder-timeoff', 'encoder-notime'])
    const h = history()
    const cands: Candidate[] = Array.from({ length: 20 }, (_, i) => ({ ...tinyItem(i), score: 20 - i }))
    const now = h[h.length - 1]!.timestamp + 3_600_000
    const diffs: Record<string, number> = {}
    for (const spec of specs) {
      const scorer = spec.create(ctx)
      const user = { user: 'u', history: [], validation: null, test: null } as never
      // Incremental: score after 6 events (a full encode), then append the rest one by one.
      const inc = scorer.session(user)
      for (const e of h.slice(0, 6)) inc.add(e)
      await inc.score(cands, h[5]!.timestamp + 1000)
      for (const e of h.slice(6)) inc.add(e)
      const a = Float64Array.from(await inc.score(cands, now))
      // Full: every event before the first score.
      const full = scorer.session(user)
      for (const e of h) full.add(e)
      const b = await full.score(cands, now)
      let m = 0
      for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
      diffs[spec.name] = m
    }
    for (const [name, m] of Object.entries(diffs)) expect(m, `${name}: incremental vs full, max |Δscore|`).toBeLessThan(1e-4)
  }, 60_000)
})
