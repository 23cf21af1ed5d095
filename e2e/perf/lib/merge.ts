/**
 * `npm run bench -- --only catalogue --merge`: a run of some sections updates results.json
 * without throwing away the sections it did not run. The sections not selected are taken from
 * the results.json already in the output folder, and `merged` names them with the date of the
 * run that measured them, so the report never passes one run's figures off as another's.
 * Targets are recomputed over the merged sections (ratios within a section stay within one run).
 */
import { existsSync, readFileSync } from 'node:fs'
import { computeTargets } from './report'
import { SECTIONS, type Results, type SectionName } from './schema'

export function mergeResults(fresh: Results, previous: unknown, ran: readonly SectionName[]): Results {
  const prev = previous as Partial<Results> | null
  if (!prev || typeof prev !== 'object' || !prev.sections) return fresh
  const sections = { ...fresh.sections }
  const merged: NonNullable<Results['merged']> = [...(prev.merged ?? []).filter((m) => !ran.includes(m.section as SectionName))]
  for (const name of SECTIONS) {
    if (ran.includes(name)) continue
    const old = prev.sections[name]
    if (!old || old.status === 'skipped') continue
    sections[name] = old
    if (!merged.some((m) => m.section === name)) merged.push({ section: name, date: prev.date ?? 'unknown' })
  }
  const out: Omit<Results, 'targets'> = {
    ...fresh,
    sections,
    // The rerank grid's sizes describe the rerank section: keep them with it.
    sizes: ran.includes('rerank') || !prev.sizes ? fresh.sizes : prev.sizes,
    ...(merged.length ? { merged } : {}),
  }
  return { ...out, targets: computeTargets(out) }
}

export function readPrevious(file: string): unknown {
  if (!existsSync(file)) return null
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown
  } catch {
    return null
  }
}
