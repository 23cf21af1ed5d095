import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { mulberry32 } from '../../rng'

/**
 * `npm run train` as a user meets it: each test spawns the CLI with tsx, as `npm run train`
 * does. The training runs use a tiny model on a generated event log, so they take seconds.
 */
const CLI = 'src/offline/train/cli.ts'

function run(args: string[], timeout = 120_000) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', timeout })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

/** A shop log: 40 items in 4 categories with brands and prices, 50 shoppers stepping through them. */
function shopLog(): { dir: string; events: string; items: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lr-cli-'))
  const rand = mulberry32(4)
  const cats = ['home > lamps', 'home > chairs', 'garden > tools', 'toys > games']
  const items = ['id,title,category,brand,price', ...Array.from({ length: 40 }, (_, i) => `sku${i},Item ${i} deluxe,${cats[i % 4]},brand${i % 3},${5 + i}`)]
  const lines = ['user,item,timestamp,type,text']
  for (let u = 0; u < 50; u++) {
    let cur = Math.floor(rand() * 40)
    for (let k = 0; k < 12 + (u % 6); k++) {
      cur = rand() < 0.8 ? (cur + 1) % 40 : Math.floor(rand() * 40)
      lines.push(`shopper${u},sku${cur},${1_700_000_000 + u * 86_400 + k * 90},${k % 5 === 4 ? 'add_to_cart' : 'view_item'},`)
    }
  }
  writeFileSync(join(dir, 'events.csv'), lines.join('\n') + '\n')
  writeFileSync(join(dir, 'items.csv'), items.join('\n') + '\n')
  return { dir, events: join(dir, 'events.csv'), items: join(dir, 'items.csv') }
}

const TINY = ['--d', '8', '--heads', '1', '--blocks', '1', '--ffn', '8', '--feat-buckets', '64', '--len', '8', '--batch', '8', '--negatives', '8', '--eval-lens', '8', '--eval-every', '1']

describe('npm run train (CLI)', () => {
  it('--help prints the usage, with the dataset flags, and exits 0 without training', () => {
    const r = run(['--help'], 30_000)
    expect(r.code).toBe(0)
    for (const flag of ['--out', '--force', '--items', '--time-unit', '--ratings', '--license', '--checkpoint', '--resume']) expect(r.out).toContain(flag)
    expect(r.err).not.toMatch(/epoch/)
  })

  it('rejects an unknown flag, a non-number and a missing --out with one line naming the problem (exit 2)', () => {
    for (const [args, what] of [
      [['--out', '/tmp/x', '--bogus-flag', '3'], /--bogus-flag/],
      [['--out', '/tmp/x', '--epochs', 'many'], /--epochs expects a number/],
      [['--out', '/tmp/x', '--ratings', 'stars'], /--ratings must be implicit or graded/],
      [[], /--out DIR is required/],
    ] as const) {
      const r = run([...args], 30_000)
      expect(r.code, r.err).toBe(2)
      expect(r.err).toMatch(what)
      expect(r.err.trim().split('\n')).toHaveLength(1)
    }
  })

  it('never overwrites the shipped model or an existing export without --force', () => {
    const shipped = 'public/model/model.json'
    const before = existsSync(shipped) ? statSync(shipped).mtimeMs : null
    const r = run(['--out', 'public/model'], 30_000)
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/shipped model; pass --force/)
    if (before !== null) expect(statSync(shipped).mtimeMs).toBe(before)
    const dir = mkdtempSync(join(tmpdir(), 'lr-out-'))
    writeFileSync(join(dir, 'model.json'), '{}')
    const r2 = run(['--out', dir], 30_000)
    expect(r2.code).toBe(2)
    expect(r2.err).toMatch(/already holds a model\.json/)
    expect(readFileSync(join(dir, 'model.json'), 'utf8')).toBe('{}')
  })

  it('a bad dataset or item path is one line on stderr (exit 1), no stack trace', () => {
    for (const args of [
      ['--data', '/nonexistent/ratings'],
      ['--data', shopLog().events, '--items', '/nonexistent/items.csv'],
    ]) {
      const r = run(['--out', join(tmpdir(), 'lr-never'), ...args], 30_000)
      expect(r.code, r.err).toBe(1)
      expect(r.err.trim().split('\n')).toHaveLength(1)
      expect(r.err).toMatch(/nonexistent/)
      expect(r.err).not.toMatch(/\n\s+at /)
    }
  })

  it('trains on a shop log with --items/--time-unit, exports its licence (not MovieLens), keeps checkpoints out of the tree', () => {
    const log = shopLog()
    const out = join(log.dir, 'model')
    const r = run(['--data', log.events, '--items', log.items, '--time-unit', 's', '--out', out, '--epochs', '2', ...TINY])
    expect(r.code, r.err).toBe(0)
    const a = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as { license: string; vocab: string[]; training: { dataset: string } }
    expect(a.license).not.toMatch(/MovieLens|GroupLens/)
    expect(a.license).toMatch(/events\.csv/)
    expect(r.err).toMatch(/warning: no licence for events\.csv/)
    expect(a.vocab.length).toBeGreaterThan(30)
    expect(existsSync(join(out, 'LICENSE-DATA.md'))).toBe(false)
    const ck = /checkpoints: (\S+)/.exec(r.err)?.[1]
    expect(ck).toBeDefined()
    expect(ck!.startsWith(tmpdir())).toBe(true)
    expect(existsSync(join(ck!, 'state.json'))).toBe(true)
    // --license wins, and a second run gets its own checkpoint directory.
    const out2 = join(log.dir, 'model2')
    const r2 = run(['--data', log.events, '--items', log.items, '--out', out2, '--epochs', '1', '--license', 'CC-BY 4.0, Example Shop Ltd', ...TINY])
    expect(r2.code, r2.err).toBe(0)
    expect(JSON.parse(readFileSync(join(out2, 'model.json'), 'utf8')).license).toBe('CC-BY 4.0, Example Shop Ltd')
    expect(/checkpoints: (\S+)/.exec(r2.err)?.[1]).not.toBe(ck)
  }, 240_000)

  it('SIGTERM stops a run at the next step, keeping the last completed checkpoint (exit 130), and --resume continues it', async () => {
    const log = shopLog()
    const ck = join(log.dir, 'ck')
    mkdirSync(ck)
    // `node --import tsx` is what `npm run train` runs. (The tsx CLI would not do: it SIGKILLs a
    // child that does not acknowledge a relayed signal within 30 ms, and a training step is
    // synchronous for longer than that.)
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, '--data', log.events, '--items', log.items, '--no-export', '--checkpoint', ck, '--epochs', '100000', '--max-minutes', '30', '--patience', '100000', ...TINY],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    let err = ''
    const done = new Promise<number | null>((res) => child.on('exit', (code) => res(code)))
    await new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`no epoch after 90 s: ${err}`)), 90_000)
      child.stderr.on('data', (b: Buffer) => {
        err += b.toString()
        if (/epoch 2:/.test(err)) {
          clearTimeout(t)
          res()
        }
      })
    })
    const sent = Date.now()
    child.kill('SIGTERM')
    const code = await done
    expect(Date.now() - sent).toBeLessThan(30_000)
    expect(code, err).toBe(130)
    expect(err).toMatch(/SIGTERM: stopping at the next step/)
    const state = JSON.parse(readFileSync(join(ck, 'state.json'), 'utf8')) as { epoch: number }
    expect(state.epoch).toBeGreaterThanOrEqual(2)
    const r = run(['--data', log.events, '--items', log.items, '--no-export', '--checkpoint', ck, '--resume', '--epochs', String(state.epoch + 1), ...TINY])
    expect(r.code, r.err).toBe(0)
    expect(r.err).toMatch(new RegExp(`resumed from .* after epoch ${state.epoch}`))
  }, 240_000)
})
