/**
 * `npm run bench:diversity` (`npx tsx e2e/perf/diversity.ts [--reps 5]`): what `diversity`
 * (MMR) costs on the main thread, issue 13 #20. Not a test: it prints figures, asserts nothing.
 *
 * Before the fix, with no `limit` the MMR window grew to the whole list (O(n²): 10,000
 * candidates blocked the main thread 7–11 s in Chromium). Now it diversifies the top
 * `mmrWindow` (default 200) whatever the length. The "whole list" rows force the old
 * behaviour (mmrWindow = n) on the same code, for comparison; they are skipped past 5,000
 * candidates unless `--all` is given (tens of seconds each on a loaded machine).
 */
import { DEFAULT_RANKER_CONFIG, rankCandidates } from '../../src/rank'
import type { Candidate } from '../../src/rank/types'

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : d
}
const REPS = arg('reps', 5)
const ALL = process.argv.includes('--all')
const NOW = Date.now()

const list = (n: number): Candidate[] => Array.from({ length: n }, (_, i) => ({ id: `sku-${i}`, category: [`c${Math.floor(i / 25) % 12}`, `s${i % 9}`], brand: `b${i % 17}`, score: n - i }))

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

function time(c: Candidate[], window?: number): number {
  const ms: number[] = []
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now()
    rankCandidates(c, { now: NOW, ...(window === undefined ? {} : { config: { mmrWindow: window } }) }, { diversity: 0.5 })
    ms.push(performance.now() - t0)
  }
  return median(ms)
}

// Warm the JIT on a mid-sized list so the first rows do not pay for compilation.
for (let r = 0; r < 3; r++) rankCandidates(list(2_000), { now: NOW }, { diversity: 0.5 })

console.log(`rankCandidates(n, { diversity: 0.5 }), no limit, median of ${REPS}; mmrWindow ${DEFAULT_RANKER_CONFIG.mmrWindow}`)
console.log('candidates | no diversity ms | bounded window ms | whole list (old) ms')
for (const n of [500, 2_000, 10_000]) {
  const c = list(n)
  const plain: number[] = []
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now()
    rankCandidates(c, { now: NOW })
    plain.push(performance.now() - t0)
  }
  const bounded = time(c)
  const whole = n <= 5_000 || ALL ? time(c, n).toFixed(1) : 'skipped (--all)'
  console.log(`${n} | ${median(plain).toFixed(1)} | ${bounded.toFixed(1)} | ${whole}`)
}
