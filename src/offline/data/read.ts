import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs'
import type { CsvRecord } from './csv'
import { DatasetError } from './errors'
import type { MalformedReport } from './types'

/** Read a whole text file, or throw a DatasetError that names the expected path. */
export function readText(path: string, what: string): string {
  if (!existsSync(path)) {
    throw new DatasetError(path, `${what} not found: expected a file at ${path}`)
  }
  if (!statSync(path).isFile()) throw new DatasetError(path, `${what}: ${path} is not a file`)
  return readFileSync(path, 'utf8')
}

/**
 * The records of a line-oriented file whose fields never hold a newline (MovieLens ratings),
 * parsed piece by piece: the file is read in `chunkBytes` pieces cut at the last newline, so
 * it is never one string (V8 caps strings at ~512 MB: ml-25m's ratings.csv is 678 MB) and never
 * all in memory as text. Line numbers are the file's.
 */
export function* piecewiseRecords(path: string, what: string, parse: (text: string) => Iterable<CsvRecord>, chunkBytes = 8 << 20): Generator<CsvRecord> {
  if (!existsSync(path)) throw new DatasetError(path, `${what} not found: expected a file at ${path}`)
  if (!statSync(path).isFile()) throw new DatasetError(path, `${what}: ${path} is not a file`)
  const fd = openSync(path, 'r')
  try {
    const dec = new TextDecoder('utf-8')
    const buf = Buffer.allocUnsafe(chunkBytes)
    let carry = ''
    let base = 0
    for (;;) {
      const n = readSync(fd, buf, 0, chunkBytes, null)
      const eof = n === 0
      const text = carry + (eof ? dec.decode() : dec.decode(buf.subarray(0, n), { stream: true }))
      const cut = eof ? text.length : text.lastIndexOf('\n') + 1
      const piece = text.slice(0, cut)
      carry = text.slice(cut)
      if (piece !== '') {
        for (const rec of parse(piece)) yield base === 0 ? rec : { ...rec, line: rec.line + base }
        for (let i = piece.indexOf('\n'); i >= 0; i = piece.indexOf('\n', i + 1)) base++
      }
      if (eof) break
    }
  } finally {
    closeSync(fd)
  }
}

/** How many malformed rows are listed by line number; the count always covers all of them. */
export const MAX_EXAMPLES = 5

/** Collects malformed rows for one file. */
export class RowReport {
  readonly report: MalformedReport
  constructor(file: string) {
    this.report = { file, rows: 0, malformed: 0, examples: [] }
  }
  row(): void {
    this.report.rows++
  }
  bad(line: number, reason: string): void {
    this.report.malformed++
    if (this.report.examples.length < MAX_EXAMPLES) this.report.examples.push({ line, reason })
  }
}

/** One line per file with malformed rows, e.g. `ratings.csv: 2 of 100 rows malformed (line 5: …; line 9: …)`. */
export function formatReports(reports: ReadonlyArray<MalformedReport>): string[] {
  return reports
    .filter((r) => r.malformed > 0)
    .map((r) => `${r.file}: ${r.malformed} of ${r.rows} rows malformed, skipped (${r.examples.map((e) => `line ${e.line}: ${e.reason}`).join('; ')}${r.malformed > r.examples.length ? '; …' : ''})`)
}

/** Parse a base-10 integer field strictly ("12a" and "" are not numbers). */
export function parseIntStrict(s: string): number | null {
  const t = s.trim()
  if (!/^-?\d+$/.test(t)) return null
  const v = Number(t)
  return Number.isSafeInteger(v) ? v : null
}

export function parseNumberStrict(s: string): number | null {
  const t = s.trim()
  if (t === '' || !/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null
  const v = Number(t)
  return Number.isFinite(v) ? v : null
}
