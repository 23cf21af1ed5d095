/**
 * `npx tsx src/offline/train/bench-encode.ts [--model DIR] [--backend wasm|cpu]`: how long the
 * shipped encoder takes, in Node on the same session code the worker runs. Reports medians of a
 * full encode (setHistory of 160 events), an incremental append (events 161…190, KV cache) and a
 * rerank of 101 and 1,000 candidates. The browser figures come from e2e/encoder.spec.ts.
 */
import type { StoredEvent } from '../../events/types'
import { EncoderSession, loadModel } from '../../encoder/session'
import { encodeWeights } from '../../encoder/weights'
import { readModel } from './export'
import { initTf } from './tf-node'

const args = process.argv.slice(2)
const opt = (k: string, d: string) => {
  const i = args.indexOf(`--${k}`)
  return i >= 0 && args[i + 1] ? args[i + 1]! : d
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!

async function main() {
  const backend = await initTf(opt('backend', 'wasm') as 'wasm' | 'cpu')
  const { artifact, weights } = await readModel(opt('model', 'public/model'))
  // Re-encode as float32 bytes for loadModel (the shipped file may be float16).
  const specs = artifact.weightsManifest.flatMap((g) => g.weights)
  const enc = encodeWeights(specs.map((s) => weights.get(s.name)!))
  const model = loadModel({ ...artifact, weightsManifest: [{ paths: ['x'], weights: enc.specs }] }, enc.data)
  const genres = ['Drama', 'Comedy', 'Thriller', 'Action', 'Romance']
  const hist = (offset: number): StoredEvent[] =>
    Array.from({ length: 190 }, (_, k) => {
      const id = artifact.vocab[(k * 13 + offset * 7) % artifact.vocab.length]!
      return { id: `e${offset}-${k}`, type: 'view_item', items: [{ id, category: [genres[k % 5]!], title: `Film ${id}` }], timestamp: 1.5e12 + k * 3_600_000 }
    })
  const cands = (n: number) => Array.from({ length: n }, (_, i) => ({ id: artifact.vocab[(i * 37) % artifact.vocab.length]!, category: [genres[i % 5]!], title: `Film ${i}` }))
  const c101 = cands(101)
  const c1000 = cands(1000)
  const full: number[] = []
  const inc: number[] = []
  const s101: number[] = []
  const s1000: number[] = []
  for (let r = 0; r < 8; r++) {
    const s = new EncoderSession(model)
    const h = hist(r)
    s.setHistory(h.slice(0, 160))
    let t = performance.now()
    s.flush()
    full.push(performance.now() - t)
    for (const e of h.slice(160)) {
      t = performance.now()
      s.append(e)
      inc.push(performance.now() - t)
    }
    for (let k = 0; k < 5; k++) {
      t = performance.now()
      s.scoreSync(c101, 1.5e12 + 200 * 3_600_000 + k)
      s101.push(performance.now() - t)
      t = performance.now()
      s.scoreSync(c1000, 1.5e12 + 200 * 3_600_000 + k)
      s1000.push(performance.now() - t)
    }
    if (s.stats.incrementalEncodes !== 30) throw new Error(`expected 30 incremental encodes, got ${s.stats.incrementalEncodes}`)
    s.dispose()
  }
  const out = {
    backend,
    fullEncode160Ms: +median(full.slice(1)).toFixed(2),
    incrementalAppendMs: +median(inc.slice(30)).toFixed(2),
    speedup: +(median(full.slice(1)) / median(inc.slice(30))).toFixed(1),
    rerank101Ms: +median(s101.slice(5)).toFixed(2),
    rerank1000Ms: +median(s1000.slice(5)).toFixed(2),
  }
  console.log(JSON.stringify(out))
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
