import { mkdirSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import type { Split } from '../protocol/split'
import { candidatesFor, DEFAULT_NEGATIVES } from '../protocol/candidates'
import type { TrainData } from '../train/data'

/**
 * Write the training view of a split (src/offline/train/data.ts `TrainData`) as flat binary
 * arrays that the PyTorch trainer memory-maps (localrank_torch/data.py documents the files).
 *
 * Why the TypeScript side prepares the data: the loaders, the leave-one-out split, the
 * vocabulary and the evaluation's candidate lists are then the very code the TypeScript trainer
 * and the evaluator run, so the two trainers cannot disagree about what the data is. The content
 * features are NOT written: the Python side hashes the items itself (features.py, a port
 * held to features.ts by the conformance test), as the browser does.
 *
 * Arrays are written user by user through one buffer, so a long log is never copied whole.
 */
export interface PrepareMeta {
  format: 'localrank-train-data'
  version: 1
  dataset: string
  license: string
  config: TrainData['cfg']
  vocab: string[]
  users: number
  tokens: number
  items: number
  valQueries: number
  valCandidates: number
  protocolSeed: number
}

class BinWriter {
  private fd: number
  private buf: Buffer
  private o = 0
  constructor(path: string, size = 1 << 20) {
    this.fd = openSync(path, 'w')
    this.buf = Buffer.allocUnsafe(size)
  }
  private room(n: number): void {
    if (this.o + n > this.buf.length) this.flush()
  }
  i32(v: number): void {
    this.room(4)
    this.o = this.buf.writeInt32LE(v, this.o)
  }
  i64(v: number): void {
    this.room(8)
    this.o = this.buf.writeBigInt64LE(BigInt(v), this.o)
  }
  f64(v: number): void {
    this.room(8)
    this.o = this.buf.writeDoubleLE(v, this.o)
  }
  flush(): void {
    if (this.o) writeSync(this.fd, this.buf, 0, this.o)
    this.o = 0
  }
  close(): void {
    this.flush()
    closeSync(this.fd)
  }
}

export function writePrepared(dir: string, data: TrainData, split: Split, info: { dataset: string; license: string; protocolSeed: number }): PrepareMeta {
  mkdirSync(dir, { recursive: true })
  const items = new BinWriter(join(dir, 'seq_items.i32'))
  const types = new BinWriter(join(dir, 'seq_types.i32'))
  const times = new BinWriter(join(dir, 'seq_times.f64'))
  const offsets = new BinWriter(join(dir, 'user_offsets.i64'))
  const meta = new BinWriter(join(dir, 'user_meta.i32'))
  const cands = new BinWriter(join(dir, 'val_cands.i32'))
  const valUsers = new BinWriter(join(dir, 'val_users.i32'))
  let tokens = 0
  let queries = 0
  const width = DEFAULT_NEGATIVES + 1
  offsets.i64(0)
  data.users.forEach((u, ui) => {
    for (let k = 0; k < u.items.length; k++) {
      items.i32(u.items[k]!)
      types.i32(u.types[k]!)
      times.f64(u.timesMs[k]!)
    }
    tokens += u.items.length
    offsets.i64(tokens)
    meta.i32(u.trainLen)
    meta.i32(u.valAt ?? -1)
    meta.i32(u.testAt ?? -1)
    // The validation queries of evaluate.ts: users with a validation item after ≥ 1 token.
    if (u.valAt === undefined || u.valAt === 0) return
    const c = candidatesFor(split, split.users[ui]!, 'val', 'uniform', info.protocolSeed)
    if (!c) return
    // Held-out item first; a small catalogue can leave fewer than 100 negatives: pad with −1.
    const ids = [c.target, ...c.ids.filter((id) => id !== c.target)]
    if (ids.length > width) throw new Error(`validation list of user ${u.user} has ${ids.length} candidates, more than ${width}`)
    for (const id of ids) cands.i32(data.catalogueIndex.get(id)!)
    for (let k = ids.length; k < width; k++) cands.i32(-1)
    valUsers.i32(ui)
    queries++
  })
  for (const w of [items, types, times, offsets, meta, cands, valUsers]) w.close()
  const lines: string[] = []
  const fd = openSync(join(dir, 'items.jsonl'), 'w')
  for (const it of data.catalogueItems) {
    lines.push(
      JSON.stringify({
        id: it.id,
        ...(it.category ? { category: it.category } : {}),
        ...(it.brand !== undefined ? { brand: it.brand } : {}),
        ...(it.price !== undefined ? { price: it.price } : {}),
        ...(it.title !== undefined ? { title: it.title } : {}),
      }),
    )
    if (lines.length >= 4096) writeSync(fd, lines.splice(0).join('\n') + '\n')
  }
  if (lines.length) writeSync(fd, lines.join('\n') + '\n')
  closeSync(fd)
  const m: PrepareMeta = {
    format: 'localrank-train-data',
    version: 1,
    dataset: info.dataset,
    license: info.license,
    config: data.cfg,
    vocab: data.vocab,
    users: data.users.length,
    tokens,
    items: data.catalogue.length,
    valQueries: queries,
    valCandidates: width,
    protocolSeed: info.protocolSeed,
  }
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(m))
  return m
}
