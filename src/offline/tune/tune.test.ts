import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { DEFAULT_PROFILE_CONFIG } from '../../interest/defaults'
import { DEFAULT_RANKER_CONFIG, type RankerConfig } from '../../rank/defaults'
import { parseTunedConfig } from '../../tuned/format'
import { loadDataset } from '../data'
import { writeSyntheticShop } from '../data/synthetic-cli'
import { main as evalMain } from '../eval/cli'
import { createContext } from '../eval/context'
import { profileModel } from '../eval/models/profile'
import { leaveOneOut } from '../protocol/split'
import { main } from './cli'
import { parseObjective, ValidationLists } from './objective'
import { defaultPoint, dimensions, optionsOf, signalsOf } from './space'
import { coordinateDescent } from './tuner'

const dir = mkdtempSync(join(tmpdir(), 'lr-tune-'))
writeSyntheticShop({ products: 1_500, users: 400, seed: 11 }, dir, true)
const load = () => loadDataset(join(dir, 'events.csv'), { items: join(dir, 'items.csv') })
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('tuner', () => {
  it('reads validation targets only: it runs with every test target made unreadable', async () => {
    const ds = load()
    const split = leaveOneOut(ds)
    let withTest = 0
    for (const u of split.users) {
      if (!u.test) continue
      withTest++
      Object.defineProperty(u, 'test', {
        get: () => {
          throw new Error(`test target of ${u.user} read while tuning`)
        },
      })
    }
    expect(withTest).toBeGreaterThan(50)
    const ctx = createContext(ds, { seed: 1 }, split)
    const lists = new ValidationLists(ctx, parseObjective('mix:popularity=1,category=1,uniform=1'), { seed: 1, limitUsers: 60 })
    expect(lists.users.length).toBe(60)
    const res = await coordinateDescent(lists, dimensions(signalsOf(ds, true)).slice(0, 3), { maxPasses: 1, minGain: 0, similarity: true })
    expect(res.evaluations).toBeGreaterThan(3)
  }, 60_000)

  it('never ends below the library defaults, and its options score what it reports', async () => {
    const ds = load()
    const ctx = createContext(ds, { seed: 3 })
    const lists = new ValidationLists(ctx, parseObjective('mix'), { seed: 3, limitUsers: 120 })
    const dims = dimensions(signalsOf(ds, false)).filter((d) => ['featureWeights.category', 'featureWeights.item', 'ranker.weights.profile', 'eventWeights.purchase'].includes(d.name))
    const res = await coordinateDescent(lists, dims, { maxPasses: 2, minGain: 0.0005, similarity: false })
    expect(res.best.score.value).toBeGreaterThanOrEqual(res.start.score.value)
    // The point written to the file reproduces its score through a fresh model.
    const o = optionsOf(res.best.point)
    const again = await lists.score(profileModel({ name: 'check', description: '', profile: o.profile, ranker: o.ranker as Partial<RankerConfig>, similarity: false }))
    expect(again.value).toBeCloseTo(res.best.score.value, 10)
    // The start point is the library's default constants exactly (with the profile weight
    // explicit, which switches the signal-dependent rule off; the CLI compares with the rule on).
    expect(res.start.point).toEqual(defaultPoint())
    const s0 = optionsOf(defaultPoint())
    expect(s0.profile).toEqual({
      long: DEFAULT_PROFILE_CONFIG.long,
      short: DEFAULT_PROFILE_CONFIG.short,
      gate: DEFAULT_PROFILE_CONFIG.gate,
      eventWeights: DEFAULT_PROFILE_CONFIG.eventWeights,
      featureWeights: DEFAULT_PROFILE_CONFIG.featureWeights,
    })
    expect(s0.ranker).toEqual({ weights: DEFAULT_RANKER_CONFIG.weights, serverTransform: DEFAULT_RANKER_CONFIG.serverTransform })
  }, 120_000)

  it('objectives: one protocol, the default mix, a custom mix; bad names and weights are refused', () => {
    expect(parseObjective('category').weights).toEqual({ category: 1 })
    expect(parseObjective('mix').weights).toEqual({ popularity: 1, category: 1 })
    expect(parseObjective('mix:uniform=1,popularity=2').weights).toEqual({ uniform: 1, popularity: 2 })
    expect(() => parseObjective('full')).toThrow(/--objective must be/)
    expect(() => parseObjective('mix:unifrom=1')).toThrow(/unknown protocol "unifrom"/)
    expect(() => parseObjective('mix:uniform=-1')).toThrow(/weight of uniform must be a number > 0/)
  })

  it('only tunes what the data can inform', () => {
    const ds = load()
    const names = dimensions(signalsOf(ds, false)).map((d) => d.name)
    expect(names).toContain('eventWeights.purchase')
    expect(names).not.toContain('eventWeights.remove_from_cart')
    expect(names).not.toContain('featureWeights.similar')
    expect(dimensions(signalsOf(ds, true)).map((d) => d.name)).toContain('featureWeights.similar')
  })
})

describe('npm run tune (CLI)', () => {
  const io = () => {
    const o = { out: '', err: '' }
    return { o, io: { out: (s: string) => void (o.out += s), err: (s: string) => void (o.err += s), tty: false } }
  }

  it('--help exits 0; a missing --dataset or --out is a usage error', async () => {
    const a = io()
    expect(await main(['--help'], a.io)).toBe(0)
    expect(a.o.out).toMatch(/--objective/)
    await expect(main(['--out', join(dir, 'x.json')], io().io)).rejects.toThrow(/--dataset is required/)
    await expect(main(['--dataset', join(dir, 'events.csv')], io().io)).rejects.toThrow(/--out is required/)
    await expect(main(['--dataset', join(dir, 'events.csv'), '--out', join(dir, 'x.json'), '--objective', 'easy'], io().io)).rejects.toThrow(/--objective must be/)
    await expect(main(['--bogus'], io().io)).rejects.toThrow(/bogus/)
  })

  it('writes one file the library accepts, shows progress with an ETA, and refuses to overwrite without --force', async () => {
    const out = join(dir, 'tuned.json')
    const a = io()
    const args = ['--dataset', join(dir, 'events.csv'), '--items', join(dir, 'items.csv'), '--out', out, '--limit-users', '40', '--passes', '1', '--similarity', 'none']
    expect(await main(args, a.io)).toBe(0)
    expect(existsSync(out)).toBe(true)
    expect(a.o.err).toMatch(/ETA \d/)
    const json = JSON.parse(readFileSync(out, 'utf8'))
    const opts = parseTunedConfig(json)
    expect(opts.profile.long).toBeDefined()
    expect(json.meta.similarity).toBe('none')
    expect(json.meta.validation.tuned.objective).toBeGreaterThanOrEqual(json.meta.validation.defaults.objective)
    await expect(main(args, io().io)).rejects.toThrow(/exists; pass --force/)
    // The evaluator scores the same file as the row profile-tuned.
    const j = join(dir, 'eval.json')
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const spyErr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      await evalMain([
        '--dataset',
        join(dir, 'events.csv'),
        '--items',
        join(dir, 'items.csv'),
        '--protocol',
        'uniform',
        '--model',
        'popularity',
        '--config',
        out,
        '--limit-users',
        '40',
        '--bootstrap',
        '20',
        '--json',
        j,
      ])
    } finally {
      spy.mockRestore()
      spyErr.mockRestore()
    }
    const rows = (JSON.parse(readFileSync(j, 'utf8')) as { results: Array<{ model: string }> }).results.map((r) => r.model)
    expect(rows).toEqual(['popularity', 'profile-tuned'])
    // The file's rows may be named in --model (the README's commands do): with --config they
    // are the file's, alone they select nothing else; without --config the error says why.
    const j2 = join(dir, 'eval-named.json')
    const base = ['--dataset', join(dir, 'events.csv'), '--items', join(dir, 'items.csv'), '--protocol', 'uniform', '--limit-users', '40', '--bootstrap', '20']
    const quiet = async (args: string[]) => {
      const o = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
      const e = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
      try {
        return await evalMain(args)
      } finally {
        o.mockRestore()
        e.mockRestore()
      }
    }
    await quiet([...base, '--model', 'profile-tuned', '--config', out, '--json', j2])
    expect((JSON.parse(readFileSync(j2, 'utf8')) as { results: Array<{ model: string }> }).results.map((r) => r.model)).toEqual(['profile-tuned'])
    await expect(quiet([...base, '--model', 'popularity,profile-tuned'])).rejects.toThrow(/profile-tuned.*--config FILE/)
    // encoder+profile-tuned named explicitly needs a model of this catalogue: refused, not skipped.
    await expect(quiet([...base, '--model', 'encoder+profile-tuned', '--config', out])).rejects.toThrow(/encoder\+profile-tuned" cannot run/)
  }, 120_000)
})
