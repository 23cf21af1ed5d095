/**
 * The shape of e2e/perf/results.json, as a valibot schema (the type is inferred from it, so the
 * file, the renderer and the smoke tests cannot drift apart). Every timed row carries p50, p95
 * and n; a number is either finite or null, and a null comes with `unavailable` saying why
 * (the model is missing, a backend could not start, a section was not run…). Nothing is ever
 * filled in to make a row look complete.
 */
import * as v from 'valibot'

export const SECTIONS = ['size', 'rerank', 'limits', 'page', 'storage', 'catalogue', 'threads'] as const
export type SectionName = (typeof SECTIONS)[number]

const finite = v.pipe(v.number(), v.finite())
const maybe = v.nullable(finite)
const attr = v.union([v.string(), finite, v.boolean(), v.null()])

/** One timed measure: order statistics of n samples (see stats.ts), in `unit`. */
export const RowSchema = v.object({
  /** Stable identifier within its section, e.g. "rerank/wasm/h200/c500/warm". */
  id: v.string(),
  /** Human label for the table. */
  name: v.string(),
  unit: v.string(),
  p50: maybe,
  p95: maybe,
  n: v.pipe(v.number(), v.integer(), v.minValue(0)),
  min: maybe,
  max: maybe,
  /** Why the numbers are null (required when p50 is null). */
  unavailable: v.optional(v.string()),
  /** Context: backend, sizes, state, which path answered, encode counters, FLOPs… */
  attrs: v.record(v.string(), attr),
})
export type Row = v.InferOutput<typeof RowSchema>

export const SizeRowSchema = v.object({
  id: v.string(),
  name: v.string(),
  files: v.array(v.string()),
  raw: maybe,
  gzip: maybe,
  brotli: maybe,
  unavailable: v.optional(v.string()),
  note: v.optional(v.string()),
})
export type SizeRow = v.InferOutput<typeof SizeRowSchema>

export const RequestSchema = v.object({
  url: v.string(),
  kind: v.picklist(['localrank', 'tfjs', 'wasm', 'model', 'page', 'other']),
  bytes: maybe,
  gzip: maybe,
  brotli: maybe,
  packages: v.optional(v.array(v.string())),
})
export type RequestRecord = v.InferOutput<typeof RequestSchema>

export const SectionSchema = v.object({
  status: v.picklist(['ok', 'partial', 'unavailable', 'skipped']),
  reason: v.optional(v.string()),
  seconds: finite,
  rows: v.array(RowSchema),
  sizes: v.optional(v.array(SizeRowSchema)),
  /** Size section: the requests made per backend (recorded by Playwright). */
  requests: v.optional(v.record(v.string(), v.array(RequestSchema))),
  notes: v.array(v.string()),
})
export type Section = v.InferOutput<typeof SectionSchema>

export const TargetSchema = v.object({
  id: v.string(),
  measure: v.string(),
  target: v.string(),
  /** The measured ratio / count / size that the target is about (null: unavailable). */
  value: maybe,
  limit: finite,
  met: v.nullable(v.boolean()),
  /** Where the value comes from (backend, configuration, worst case). */
  where: v.string(),
  note: v.optional(v.string()),
})
export type Target = v.InferOutput<typeof TargetSchema>

export const ResultsSchema = v.object({
  schema: v.literal('localrank-bench/1'),
  date: v.string(),
  quick: v.boolean(),
  seconds: finite,
  machine: v.object({
    cpuModel: v.string(),
    cores: v.pipe(v.number(), v.integer()),
    memoryGiB: finite,
    loadAverage: v.array(finite),
    os: v.string(),
    node: v.string(),
    chromium: v.string(),
    playwright: v.string(),
    webgpuAdapter: v.string(),
  }),
  model: v.object({ present: v.boolean(), config: v.nullable(v.record(v.string(), v.union([finite, v.boolean()]))), note: v.string() }),
  sizes: v.object({ histories: v.array(finite), candidates: v.array(finite), backends: v.array(v.string()) }),
  sections: v.object({
    size: SectionSchema,
    rerank: SectionSchema,
    limits: SectionSchema,
    page: SectionSchema,
    storage: SectionSchema,
    /** Issue 10's scale check (e2e/perf/catalogue.ts). */
    catalogue: SectionSchema,
    /** Issue 14: threaded vs single-thread WASM on a cross-origin-isolated page (e2e/perf/threads.ts). */
    threads: SectionSchema,
  }),
  targets: v.array(TargetSchema),
  /** Sections kept from an earlier run by `--merge` (lib/merge.ts), with that run's date. */
  merged: v.optional(v.array(v.object({ section: v.string(), date: v.string() }))),
})
export type Results = v.InferOutput<typeof ResultsSchema>

/** Issues beyond the schema: a null number must say why; a percentile order must hold. */
export function checkResults(data: unknown): { ok: true; results: Results } | { ok: false; issues: string[] } {
  const parsed = v.safeParse(ResultsSchema, data)
  if (!parsed.success) return { ok: false, issues: parsed.issues.map((i) => `${v.getDotPath(i) ?? '(root)'}: ${i.message}`) }
  const issues: string[] = []
  for (const name of SECTIONS) {
    const s = parsed.output.sections[name]
    for (const r of s.rows) {
      if (r.p50 === null && !r.unavailable) issues.push(`${name}/${r.id}: p50 is null without an 'unavailable' reason`)
      if (r.p50 !== null && r.n === 0) issues.push(`${name}/${r.id}: numbers without samples`)
      if (r.p50 !== null && r.p95 !== null && r.p95 < r.p50) issues.push(`${name}/${r.id}: p95 < p50`)
    }
    for (const z of s.sizes ?? []) if (z.gzip === null && !z.unavailable) issues.push(`${name}/${z.id}: size is null without an 'unavailable' reason`)
    if ((s.status === 'unavailable' || s.status === 'skipped') && !s.reason) issues.push(`${name}: status ${s.status} without a reason`)
  }
  for (const t of parsed.output.targets) if (t.value === null && !t.note) issues.push(`target ${t.id}: no value and no note saying why`)
  return issues.length ? { ok: false, issues } : { ok: true, results: parsed.output }
}
