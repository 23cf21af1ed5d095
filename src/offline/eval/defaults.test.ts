import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { DEFAULT_ARTIFACT_OPTIONS } from '../similarity/artifact'
import { main } from './cli'

const dir = mkdtempSync(join(tmpdir(), 'lr-defaults-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A small event log without an item file: 60 users over 40 items, categories unknown. */
function log(): string {
  const lines = ['user,item,timestamp,type,text']
  for (let u = 0; u < 60; u++) for (let k = 0; k < 6; k++) lines.push(`u${u},i${(u * 3 + k * 7) % 40},${1_700_000_000 + u * 1000 + k * 60},${k === 5 && u % 4 === 0 ? 'add_to_cart' : 'view_item'},`)
  const p = join(dir, 'events.csv')
  writeFileSync(p, `${lines.join('\n')}\n`)
  return p
}

describe('eval on a dataset other than the one tuned.json was tuned on (issue 11)', () => {
  it('rows named defaults use the library defaults, no tuned row is shown, and no item-file warning without an item file', async () => {
    const out = join(dir, 'r.json')
    const err: string[] = []
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true))
    try {
      const r = await main(['--dataset', log(), '--protocol', 'uniform,session,cart,category', '--model', 'baselines,profiles', '--bootstrap', '20', '--json', out])
      expect(r.code).toBe(0)
    } finally {
      spy.mockRestore()
    }
    const data = JSON.parse(readFileSync(out, 'utf8')) as { similarity: { options: Record<string, unknown> }; models: Array<{ name: string }>; results: Array<{ protocol: string; users: number }> }
    // The shipped tuned.json (ml-latest-small) has k = 25, window 200, minCount 3: none of them here.
    for (const k of ['k', 'window', 'minCount', 'alpha', 'shrink', 'distanceExponent', 'future'] as const) expect(data.similarity.options[k]).toBe(DEFAULT_ARTIFACT_OPTIONS[k])
    expect(data.models.map((m) => m.name).filter((n) => /^profile-(exponential|linear|window|power|none)$/.test(n))).toEqual([])
    expect(data.models.map((m) => m.name)).toContain('profile')
    expect(err.join('')).not.toMatch(/not in the item file/)
    expect(err.join('')).toMatch(/not using .*tuned\.json/)
    // Shop protocols report only the users they have targets for.
    const users = (p: string) => data.results.find((x) => x.protocol === p)!.users
    expect(users('uniform')).toBe(60)
    expect(users('cart')).toBeGreaterThan(0)
    expect(users('cart')).toBeLessThan(60)
    expect(users('session')).toBe(60)
    // No user without a target is counted as a zero.
    expect(data.results.filter((x) => x.protocol === 'cart').every((x) => x.users === users('cart'))).toBe(true)
  })
})
