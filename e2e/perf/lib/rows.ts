import type { Row } from './schema'
import { summarize } from './stats'

type Attrs = Row['attrs']

/** A timed row from raw samples; with no samples it must say why (`unavailable`). */
export function row(id: string, name: string, unit: string, samples: ReadonlyArray<number>, attrs: Attrs = {}, unavailable?: string): Row {
  const s = summarize(samples)
  if (s.n === 0) return { id, name, unit, p50: null, p95: null, n: 0, min: null, max: null, unavailable: unavailable ?? 'no samples', attrs }
  return { id, name, unit, ...s, attrs }
}

/** A row that could not be measured, and why. */
export function missing(id: string, name: string, unit: string, why: string, attrs: Attrs = {}): Row {
  return { id, name, unit, p50: null, p95: null, n: 0, min: null, max: null, unavailable: why, attrs }
}

/** A derived row (a ratio or a count computed from other rows): one value, n = 1. */
export function derived(id: string, name: string, unit: string, value: number | null, attrs: Attrs, why: string): Row {
  if (value === null || !Number.isFinite(value)) return missing(id, name, unit, why, attrs)
  return { id, name, unit, p50: value, p95: value, n: 1, min: value, max: value, attrs }
}
