/**
 * Writes the golden-score fixture (conformance-golden.ts) with the encoder code of any checkout:
 *
 *   npx tsx src/encoder/conformance-golden-cli.ts [--src DIR] [--model DIR] [--out FILE] [--commit LABEL]
 *
 * --src     the `src/` folder whose encoder/session.ts computes the numbers (default: this checkout's).
 * --model   the model folder (default public/model of this checkout).
 * --out     default src/encoder/conformance-golden.json.
 * --commit  the label stored in the fixture (default: `git rev-parse --short HEAD` in --src).
 *
 * To regenerate the numbers of the encoder as it was before issue 14's kernel work (41d19b0) on
 * a newly shipped model, from /work/main:
 *
 *   git worktree add /tmp/E/old 41d19b0 && ln -s "$PWD/node_modules" /tmp/E/old/node_modules
 *   npx tsx src/encoder/conformance-golden-cli.ts --src /tmp/E/old/src
 *
 * The symlink matters: the old session module must load the same @tensorflow packages as this
 * script (Node resolves the link to the same files), or its ops would run on a tfjs whose WASM
 * backend this script never initialised. Both tfjs backends that Node has (CPU, WASM) are run.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { initTf, tf } from '../offline/train/tf-node'
import { computeGolden, f32ToBase64, type EncoderApi, type GoldenFixture } from './conformance-golden'

const HERE = import.meta.dirname

function args(argv: string[]): { src: string; model: string; out: string; commit: string | null } {
  const o = { src: resolve(HERE, '..'), model: resolve(HERE, '../../public/model'), out: join(HERE, 'conformance-golden.json'), commit: null as string | null }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const v = argv[++i]
    if (v === undefined) throw new Error(`${a} needs a value`)
    if (a === '--src') o.src = resolve(v)
    else if (a === '--model') o.model = resolve(v)
    else if (a === '--out') o.out = resolve(v)
    else if (a === '--commit') o.commit = v
    else throw new Error(`unknown argument ${a} (--src, --model, --out, --commit)`)
  }
  return o
}

async function main(): Promise<void> {
  const o = args(process.argv.slice(2))
  const commit = o.commit ?? execFileSync('git', ['-C', o.src, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  type Artifact = { vocab: string[]; sha256: string; weightsManifest: Array<{ paths: string[] }> }
  const api = (await import(pathToFileURL(join(o.src, 'encoder/session.ts')).href)) as EncoderApi<unknown, Artifact>
  const artifact = JSON.parse(readFileSync(join(o.model, 'model.json'), 'utf8')) as Artifact
  const bytes = new Uint8Array(readFileSync(join(o.model, artifact.weightsManifest[0]!.paths[0]!)))
  await initTf('wasm')
  const fixture: GoldenFixture = { format: 'localrank-golden/1', modelSha256: artifact.sha256, commit, backends: {}, candidates: 0 }
  for (const backend of ['cpu', 'wasm']) {
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to initialise`)
    const rows = await computeGolden(api, artifact, bytes)
    fixture.candidates = rows[0]?.scores.length ?? 0
    fixture.backends[backend] = rows.map((r) => ({ name: r.name, now: r.now, scores: f32ToBase64(r.scores), user: f32ToBase64(r.user) }))
    process.stderr.write(`${backend}: ${rows.length} entries\n`)
  }
  writeFileSync(o.out, `${JSON.stringify(fixture, null, 1)}\n`)
  process.stderr.write(`wrote ${o.out} (encoder of ${commit}, model ${artifact.sha256.slice(0, 12)}…)\n`)
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exit(1)
})
