/**
 * Dataset loaders for the offline tools. Every loader returns the same `Dataset`:
 * items as the browser's `Item`, each user's events as `StoredEvent`s in file order,
 * and a report of malformed rows per file (never dropped silently).
 */
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { DatasetError } from './errors'
import { loadEventLog, type EventLogOptions } from './eventlog'
import { DEFAULT_MOVIELENS_DIR, loadMovieLens100k, loadMovieLens1M, loadMovieLensCsv } from './movielens'
import type { Dataset, RatingMapping } from './types'

export { DatasetError } from './errors'
export { parseCsv, parseDelimited, type CsvRecord } from './csv'
export { formatReports } from './read'
export { tokenize } from './builder'
export { loadEventLog, parseTimestamp, type EventLogOptions } from './eventlog'
export { DEFAULT_MOVIELENS_DIR, loadMovieLens100k, loadMovieLens1M, loadMovieLensCsv, movieItem, parseTitle, type MovieLensOptions } from './movielens'
export { IMPLICIT, describeMapping, type Dataset, type ItemMeta, type MalformedReport, type RatingMapping, type UserHistory } from './types'

export interface LoadOptions extends EventLogOptions {
  ratings?: RatingMapping
}

/**
 * Load by path, detecting the format:
 * a directory with `movies.csv` + `ratings.csv` (MovieLens latest), `ratings.dat` (ML-1M)
 * or `u.data` (ML-100k); otherwise a file is read as a generic event log
 * (`.csv`/`.jsonl`, with `opts.items` as its item file).
 */
export function loadDataset(path: string = DEFAULT_MOVIELENS_DIR, opts: LoadOptions = {}): Dataset {
  if (!existsSync(path)) {
    throw new DatasetError(path, `dataset not found at ${path} (expected a MovieLens directory such as ${DEFAULT_MOVIELENS_DIR}, or an event log file)`)
  }
  const ml = opts.ratings ? { ratings: opts.ratings } : {}
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, 'ratings.csv'))) return loadMovieLensCsv(path, ml)
    if (existsSync(join(path, 'ratings.dat'))) return loadMovieLens1M(path, ml)
    if (existsSync(join(path, 'u.data'))) return loadMovieLens100k(path, ml)
    throw new DatasetError(path, `no known dataset in ${path}: expected ratings.csv + movies.csv, ratings.dat + movies.dat, or u.data + u.item`)
  }
  return loadEventLog(path, opts)
}
