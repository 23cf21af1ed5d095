/**
 * The model registry (`--model NAME[,NAME…]`, default all), in report order. Each entry is a
 * `ModelSpec` (../types.ts). To add a model — e.g. the encoder (`--model encoder`) — write
 * a file here exporting a ModelSpec whose sessions replay events and score candidate lists,
 * and add it to `registry` below; the runner, metrics and report need no change.
 */
import type { KernelName } from '../../../interest/types'
import { START, modelOptionsOf, type TunePoint } from '../params'
import type { EvalContext, ModelSpec } from '../types'
import { cooccurrence, popularity, random, recency } from './baselines'
import { encoderModels, DEFAULT_ENCODER_DIR, NOTIME_ENCODER_DIR, type ItemPath } from './encoder'
import { profileModel } from './profile'

export { profileModel, type ProfileModelOptions } from './profile'
export { cooccurrence, popularity, random, recency } from './baselines'
export { encoderModel, encoderModels, FeedJoin, type ItemPath } from './encoder'

/** The tuned points a registry is built from (tuned.json; START where absent). */
export interface TunedPoints {
  best: TunePoint
  perKernel: Partial<Record<KernelName, TunePoint>>
}

export const PROFILE_KERNELS: KernelName[] = ['exponential', 'linear', 'window', 'power']

/**
 * `itemPaths`: which item paths the encoder rows run (`--item-path`; encoder.ts `ItemPath`);
 * `encoderDir`: the model they load (`--encoder`, else `LOCALRANK_ENCODER_MODEL`, else public/model).
 */
export function registry(tuned: TunedPoints | null, itemPaths: ReadonlyArray<ItemPath> = ['table'], encoderDir = DEFAULT_ENCODER_DIR): ModelSpec[] {
  const best = tuned?.best ?? START
  const kernelPoint = (k: KernelName): TunePoint => tuned?.perKernel[k] ?? { ...best, kernel: k }
  return [
    popularity,
    random,
    recency(5),
    cooccurrence('last'),
    cooccurrence('all'),
    profileModel({ name: 'profile', description: 'decay profile, library defaults (DEFAULT_PROFILE_CONFIG, DEFAULT_RANKER_CONFIG) + similarity table' }),
    // Tuned rows only with a tuning for this dataset (null: none, so no row claims to be tuned).
    ...(tuned
      ? [
          ...PROFILE_KERNELS.map((k) => profileModel(modelOptionsOf(kernelPoint(k), `profile-${k}`, `decay profile, ${k} kernel, tuned on validation`))),
          profileModel(modelOptionsOf({ ...best, kernel: 'none' }, 'profile-none', 'the tuned profile with decay off (kernel none)')),
        ]
      : []),
    profileModel({ name: 'profile-nosim', description: 'library defaults without the similarity table (categories only)', similarity: false }),
    ...encoderModels(encoderDir, NOTIME_ENCODER_DIR, itemPaths),
  ]
}

/**
 * Pick models by name; 'all' (or nothing) keeps every available one and reports the others
 * through `skipped`. Unknown or unavailable names throw, listing the valid ones / the reason.
 */
export function selectModels(all: ModelSpec[], names: string | undefined, skipped: (name: string, reason: string) => void = () => {}, ctx?: EvalContext): ModelSpec[] {
  if (!names || names === 'all') {
    return all.filter((m) => {
      const why = m.unavailable?.(ctx) ?? null
      if (why !== null) skipped(m.name, why)
      return why === null
    })
  }
  const wanted = names
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const out: ModelSpec[] = []
  for (const w of wanted) {
    // A group's plural selects its models in registry order: `--model baselines,profiles`.
    const group = all.filter((x) => `${x.group}s` === w)
    if (group.length > 0) {
      for (const m of group) if (!out.includes(m)) out.push(m)
      continue
    }
    const m = all.find((x) => x.name === w)
    if (!m) throw new Error(`unknown model "${w}"; valid: ${all.map((x) => x.name).join(', ')}, the groups ${[...new Set(all.map((x) => `${x.group}s`))].join(', ')}, or all`)
    const why = m.unavailable?.(ctx) ?? null
    if (why !== null) throw new Error(`model "${w}" cannot run: ${why}`)
    if (!out.includes(m)) out.push(m)
  }
  return out
}
