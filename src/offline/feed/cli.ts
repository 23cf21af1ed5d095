/**
 * `npm run feed -- --model DIR --out DIR [flags]`: split a whole-table encoder export into what
 * the browser downloads and what the shop's server joins into its pages (issue 10). `--help`
 * prints the flags; README "Large catalogues: table mode and feed mode" explains the modes.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import type { Item } from '../../events/types'
import { modelIdOf, VECTOR_ENCODINGS, type VectorEncoding } from '../../encoder/vector-codec'
import { artifactProblem, decodeWeights, sha256Hex } from '../../encoder/weights'
import { parseSimilarityTable } from '../../interest/similarity'
import type { SimilarityTable } from '../../interest/types'
import { DatasetError, formatReports, loadDataset } from '../data'
import { streamItemFile } from '../data/eventlog'
import { RowReport } from '../data/read'
import type { MalformedReport as RowRepLike } from '../data/types'
import { feedRows, MAX_NEIGHBOURS, sourceItemTable, writeFeed, type FeedStats } from './feed'
import { artifactBytes, autoTableLimit, buildArtifact, FeedError, largestFitting, sourceItemSpace, type Artifact, type BuiltArtifact, type SourceModel } from './userside'

export const HELP = `npm run feed -- --model DIR --out DIR [flags]

Split a whole-table encoder export (model.json + weights.bin, e.g. public/model) into
  - a user-side artifact (model.json + weights.bin, float16) whose size does not depend on the
    catalogue: the Transformer, the event-type and content-feature tables, the gate, and only
    the reserved item rows (plus the --keep-top most popular items), with the itemSpace id that
    carried vectors must name;
  - the item feed for the shop's server: items.jsonl and items.csv, one row per product with its
    "vector" (e(item) and bias, as the model computes them) and "neighbours" (top-k similar items).

  --model DIR        whole-table export to read (model.json + weights.bin)          (required)
  --out DIR          where the browser's artifact goes                                (required)
  --feed-out DIR     where items.jsonl / items.csv go (default: --out)
  --items FILE       catalogue (.csv or .jsonl: id,title,category,brand,price); the content
                     features of each vector come from it
  --dataset PATH     or take the catalogue from a dataset (a MovieLens dir, or an event log)
                     (neither: one row per vocabulary item, without content)
  --similarity FILE  similarity table (localrank-similarity JSON) for "neighbours"
  --neighbours K     neighbours per row, strongest first (default and maximum ${MAX_NEIGHBOURS})
  --encoding E       f16 (default) | i8 | f32
  --keep-top N       also keep the N most popular items' rows in the artifact (default 0), for
                     pages that cannot carry "vector"
  --budget BYTES     keep the most popular items that fit: model.json + weights.bin ≤ BYTES
                     (raw); with --keep-top, at most N
  --mode M           auto (default) | table | feed. table: the whole item table with itemSpace,
                     no feed. auto: table while the item table would at most double the
                     artifact (≈ 5,000 products for the shipped d = 64 model), feed above
  --help`

function usage(msg: string): never {
  const e = new Error(msg) as Error & { usage?: boolean }
  e.usage = true
  throw e
}

function count(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) usage(`--${name} must be a whole number ≥ 0 (got "${v}")`)
  return n
}

/** Read and verify a model directory (SHA-256 of the weight bytes against model.json). */
export async function readSource(dir: string): Promise<SourceModel> {
  const file = join(dir, 'model.json')
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new FeedError(`--model ${dir}: not a directory`)
  if (!existsSync(file)) throw new FeedError(`--model ${dir}: no model.json there (export one with npm run train)`)
  let artifact: Artifact
  try {
    artifact = JSON.parse(readFileSync(file, 'utf8')) as Artifact
  } catch (e) {
    throw new FeedError(`${file}: not JSON (${(e as Error).message})`)
  }
  const problem = artifactProblem(artifact)
  if (problem) throw new FeedError(`${file}: ${problem}`)
  const parts: Uint8Array[] = []
  for (const p of artifact.weightsManifest.flatMap((g) => g.paths)) {
    const f = join(dir, p)
    if (!existsSync(f)) throw new FeedError(`${file}: weight shard ${p} is missing`)
    parts.push(new Uint8Array(readFileSync(f)))
  }
  const bytes = parts.length === 1 ? parts[0]! : new Uint8Array(Buffer.concat(parts))
  const sha = await sha256Hex(bytes)
  if (sha !== artifact.sha256) throw new FeedError(`${dir}: weights SHA-256 ${sha} does not match model.json's ${artifact.sha256}`)
  let weights: ReturnType<typeof decodeWeights>
  try {
    weights = decodeWeights(
      artifact.weightsManifest.flatMap((g) => g.weights),
      bytes,
    )
  } catch (e) {
    throw new FeedError(`${dir}: ${(e as Error).message}`)
  }
  return { artifact, weights }
}

export function writeArtifact(dir: string, b: BuiltArtifact): { modelJson: number; weights: number; gzip: number } {
  mkdirSync(dir, { recursive: true })
  const json = JSON.stringify(b.artifact)
  writeFileSync(join(dir, 'weights.bin'), b.bytes)
  writeFileSync(join(dir, 'model.json'), json)
  return { modelJson: Buffer.byteLength(json), weights: b.bytes.length, gzip: gzipSync(json).length + gzipSync(b.bytes).length }
}

const BEGIN = '<!-- item feed: written by npm run feed -->'
const END = '<!-- end item feed -->'

/** Carry the source's LICENSE-DATA.md over, with a section naming the derived files. */
function carryLicence(srcDir: string, outDirs: string[], mode: 'table' | 'feed'): void {
  const src = join(srcDir, 'LICENSE-DATA.md')
  if (!existsSync(src)) return
  let text = readFileSync(src, 'utf8')
  const a = text.indexOf(BEGIN)
  const b = text.indexOf(END)
  if (a >= 0 && b > a) text = text.slice(0, a) + text.slice(b + END.length)
  const files = mode === 'feed' ? '`model.json` and `weights.bin` (the user-side artifact), `items.jsonl` and `items.csv` (the item feed)' : '`model.json` and `weights.bin` (with itemSpace)'
  const section = `${BEGIN}\n## Files written by \`npm run feed\`\n\n${files} were derived by \`npm run feed\` (src/offline/feed/) from the model\n(and similarity table) described above. They are transformations of the same data and travel\nunder the same conditions.\n${END}\n`
  text = `${text.trimEnd()}\n\n${section}`
  for (const d of new Set(outDirs)) if (resolve(d) !== resolve(srcDir)) writeFileSync(join(d, 'LICENSE-DATA.md'), text)
}

export interface FeedSummary {
  mode: 'table' | 'feed'
  modeReason: string
  itemSpace: string
  modelId: string
  /** The pin to give `createEngine({ modelSha256 })` / `data-model-sha256`. */
  modelSha256: string
  catalogue: number
  keptRows: number
  artifact: { modelJson: number; weights: number; raw: number; gzip: number }
  feed?: FeedStats & { encoding: VectorEncoding; bytesPerItemJsonl: number; bytesPerItemCsv: number }
}

export async function main(argv: string[]): Promise<FeedSummary | null> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      out: { type: 'string' },
      'feed-out': { type: 'string' },
      items: { type: 'string' },
      dataset: { type: 'string' },
      similarity: { type: 'string' },
      neighbours: { type: 'string' },
      encoding: { type: 'string' },
      'keep-top': { type: 'string' },
      budget: { type: 'string' },
      mode: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  })
  if (values.help) {
    process.stdout.write(`${HELP}\n`)
    return null
  }
  if (positionals.length > 0) usage(`unexpected argument "${positionals[0]}"`)
  if (!values.model) usage('--model DIR is required (a whole-table export such as public/model)')
  if (!values.out) usage('--out DIR is required')
  const encoding = (values.encoding ?? 'f16') as VectorEncoding
  if (!VECTOR_ENCODINGS.includes(encoding)) usage(`--encoding must be f16, i8 or f32 (got "${values.encoding}")`)
  const mode = values.mode ?? 'auto'
  if (mode !== 'auto' && mode !== 'table' && mode !== 'feed') usage(`--mode must be auto, table or feed (got "${mode}")`)
  const keepTop = count(values['keep-top'], 'keep-top')
  const budget = count(values.budget, 'budget')
  const k = count(values.neighbours, 'neighbours') ?? MAX_NEIGHBOURS
  if (k > MAX_NEIGHBOURS) usage(`--neighbours must be at most ${MAX_NEIGHBOURS} (the wire limit), got ${k}`)
  if (values.items && values.dataset) usage('give --items or --dataset, not both')
  if (mode === 'table' && (keepTop !== undefined || budget !== undefined)) usage('--keep-top and --budget apply to feed mode; table mode keeps every row')

  const src = await readSource(values.model)
  const itemSpace = await sourceItemSpace(src)
  const modelId = modelIdOf(itemSpace)
  const V = src.artifact.vocab.length

  // The catalogue: every product a feed row is written for, as a re-iterable stream (an item
  // file is read in pieces, never whole), then the vocabulary items it lacks (from their id's
  // row alone: the model knows them, a page may still list them).
  const vocabIds = new Set(src.artifact.vocab)
  let fileReport: RowRepLike | null = null
  const base: () => Iterable<Item> = values.items
    ? () => {
        const rep = new RowReport(values.items!)
        fileReport = rep.report
        return streamItemFile(values.items!, rep)
      }
    : values.dataset
      ? (
          (ds) => () =>
            ds.values()
        )(loadDataset(values.dataset).items)
      : () => []
  function* catalogue(): Generator<Item> {
    const seen = new Set<string>()
    for (const it of base()) {
      if (vocabIds.has(it.id)) seen.add(it.id)
      yield it
    }
    for (const id of src.artifact.vocab) if (!seen.has(id)) yield { id }
  }

  let similarity: SimilarityTable | undefined
  if (values.similarity) {
    if (!existsSync(values.similarity)) throw new FeedError(`--similarity ${values.similarity}: file not found`)
    let raw: unknown
    try {
      raw = JSON.parse(readFileSync(values.similarity, 'utf8'))
    } catch (e) {
      throw new FeedError(`--similarity ${values.similarity}: not JSON (${(e as Error).message})`)
    }
    similarity = parseSimilarityTable(raw)
  }

  const userSide0 = await buildArtifact(src, itemSpace, 0, { mode: 'feed' })
  // --mode auto needs the catalogue's size only up to the limit: count that far, no further.
  // (The limit shrinks with the ids' length: count up to the bound for empty ids.)
  const bound = autoTableLimit(artifactBytes(userSide0), src.artifact.config.d, 0)
  let limit = bound
  let counted = 0
  let idBytes = 0
  if (mode === 'auto') {
    for (const it of catalogue()) {
      counted++
      idBytes += Buffer.byteLength(it.id)
      if (counted > bound) break
    }
    limit = autoTableLimit(artifactBytes(userSide0), src.artifact.config.d, counted > 0 ? idBytes / counted : 8)
  }
  const chosen: 'table' | 'feed' = mode === 'auto' ? (counted <= limit ? 'table' : 'feed') : mode
  const modeReason =
    mode === 'auto'
      ? `auto: ${counted <= limit ? `${counted.toLocaleString('en')} products ≤` : 'more than'} ${limit.toLocaleString('en')}, the size at which the item table would double the ${artifactBytes(userSide0).toLocaleString('en')}-byte user-side artifact`
      : `--mode ${mode}`

  const outDir = values.out
  const feedDir = values['feed-out'] ?? outDir
  let built: BuiltArtifact
  if (chosen === 'table') {
    built = await buildArtifact(src, itemSpace, V, { mode: 'table' })
  } else if (budget !== undefined) {
    const fit = await largestFitting(src, itemSpace, budget, keepTop ?? V)
    if (!fit.built) throw new FeedError(`--budget ${budget}: even the artifact without item rows is ${artifactBytes(userSide0)} bytes`)
    built = fit.built
  } else {
    built = keepTop ? await buildArtifact(src, itemSpace, keepTop, { mode: 'feed' }) : userSide0
  }
  const sizes = writeArtifact(outDir, built)
  const summary: FeedSummary = {
    mode: chosen,
    modeReason,
    itemSpace,
    modelId,
    modelSha256: built.artifact.modelSha256 ?? '',
    catalogue: 0,
    keptRows: built.keptRows,
    artifact: { modelJson: sizes.modelJson, weights: sizes.weights, raw: sizes.modelJson + sizes.weights, gzip: sizes.gzip },
  }
  if (chosen === 'table') {
    if (values.similarity) copyFileSync(values.similarity, join(outDir, 'similarity.json'))
    for (const _ of catalogue()) summary.catalogue++
  } else {
    mkdirSync(feedDir, { recursive: true })
    const table = sourceItemTable(src)
    const st = writeFeed(join(feedDir, 'items.jsonl'), join(feedDir, 'items.csv'), feedRows(table, catalogue(), { modelId, encoding, ...(similarity ? { similarity } : {}), k }))
    summary.feed = { ...st, encoding, bytesPerItemJsonl: st.rows ? st.jsonlBytes / st.rows : 0, bytesPerItemCsv: st.rows ? st.csvBytes / st.rows : 0 }
    summary.catalogue = st.rows
  }
  const rep = fileReport as RowRepLike | null
  if (rep) for (const line of formatReports([rep])) process.stderr.write(`warning: ${line}\n`)
  carryLicence(values.model, [outDir, feedDir], chosen)
  writeFileSync(join(outDir, 'feed-summary.json'), `${JSON.stringify(summary, null, 2)}\n`)
  return summary
}

function report(s: FeedSummary, out: string): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`
  const lines = [
    `mode ${s.mode} (${s.modeReason})`,
    `itemSpace ${s.itemSpace} (vectors name ${s.modelId})`,
    `model SHA-256 (pin it as modelSha256 / data-model-sha256): ${s.modelSha256}`,
    `artifact ${out}: model.json ${kb(s.artifact.modelJson)} + weights.bin ${kb(s.artifact.weights)} = ${kb(s.artifact.raw)} raw, ${kb(s.artifact.gzip)} gzip; ${s.keptRows} item rows (3 reserved)`,
  ]
  if (s.feed)
    lines.push(
      `feed: ${s.feed.rows} rows (${s.feed.withNeighbours} with neighbours), ${s.feed.encoding}: items.jsonl ${s.feed.bytesPerItemJsonl.toFixed(1)} B/item, items.csv ${s.feed.bytesPerItemCsv.toFixed(1)} B/item`,
    )
  return lines.join('\n')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2)
  main(argv).then(
    (s) => {
      if (s) process.stdout.write(`${report(s, argv[argv.indexOf('--out') + 1] ?? '')}\n`)
      process.exit(0)
    },
    (err: unknown) => {
      const e = err as Error & { usage?: boolean; code?: string }
      if (e.usage || e.code?.startsWith('ERR_PARSE_ARGS')) {
        process.stderr.write(`error: ${e.message} (npm run feed -- --help)\n`)
        process.exit(2)
      }
      if (err instanceof FeedError || err instanceof DatasetError || (err as { name?: string }).name === 'ModelError') {
        process.stderr.write(`error: ${e.message}\n`)
        process.exit(1)
      }
      process.stderr.write(`error: ${e.stack ?? e.message}\n`)
      process.exit(1)
    },
  )
}
