import { ValidationError } from '../errors'
import { EVENT_TYPES } from '../events/types'
import { FEATURE_KINDS, resolveProfileConfig } from '../interest/config'
import type { ProfileOptions } from '../interest/types'
import type { FusionWeights, RankerConfig } from '../rank/defaults'

/**
 * The tuned-parameters file that `npm run tune` writes (src/offline/tune/) and that the
 * library (`createEngine({ ...parseTunedConfig(json) })`) and the embed script
 * (`data-config="/path/tuned.json"`) load. One file, so what was measured offline is
 * exactly what the browser runs.
 *
 * ```json
 * { "format": "localrank-tuned", "version": 1,
 *   "profile": { "long": {"name": "exponential", "halfLifeMs": 2592000000}, "eventWeights": {"purchase": 8}, … },
 *   "ranker": { "weights": {"profile": 2}, "serverTransform": "rank" },
 *   "meta": { "dataset": "…", "objective": "…", … } }
 * ```
 *
 * `profile` is the engine's `profile` option (ProfileOptions, merged over the library
 * defaults), `ranker` its `ranker` option (fusion weights and the server transform, merged over
 * DEFAULT_RANKER_CONFIG). `meta` says how the file was made; the library never reads it.
 * Browser-safe: no Node imports.
 */
export const TUNED_FORMAT = 'localrank-tuned'
export const TUNED_VERSION = 1

/** The part of the ranker's config a tuned file may set. */
export interface RankerOptions {
  weights?: Partial<FusionWeights>
  serverTransform?: RankerConfig['serverTransform']
}

/** What the library takes from a tuned file: spread it into `createEngine`'s options. */
export interface TunedOptions {
  profile: ProfileOptions
  ranker: RankerOptions
}

/** Validation NDCG@10 per protocol, and the objective's value. */
export interface TunedScores {
  objective: number
  protocols: Record<string, number>
}

/** How the file was made (written by the tuner, for people; never read by the library). */
export interface TunedMeta {
  /** Dataset name and files the tuner read. */
  dataset: string
  files: string[]
  /** e.g. "mix: popularity 1, category 1 (validation NDCG@10)". */
  objective: string
  /** Whether a similarity table was loaded while tuning (the shop should ship the same). */
  similarity: 'table' | 'none'
  seed: number
  users: number
  created: string
  evaluations: number
  seconds: number
  /** Validation figures of the library defaults and of this file, on the same lists. */
  validation: { defaults: TunedScores; tuned: TunedScores }
}

export interface TunedFile extends TunedOptions {
  format: typeof TUNED_FORMAT
  version: typeof TUNED_VERSION
  meta?: TunedMeta
}

const bad = (field: string, reason: string) => new ValidationError('invalid_options', field, reason)
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function onlyKeys(o: Record<string, unknown>, allowed: ReadonlyArray<string>, field: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw bad(`${field}.${k}`, `unknown field (expected one of ${allowed.join(', ')})`)
}

const PROFILE_KEYS = ['long', 'short', 'eventWeights', 'gate', 'featureWeights', 'priceBands'] as const
const TRANSFORMS: ReadonlyArray<RankerConfig['serverTransform']> = ['rank', 'log', 'raw']

/**
 * Check a parsed tuned file and return the options it sets. Throws `ValidationError`
 * (code `invalid_options`) whose `field` names the offending entry as the engine's options
 * name it (`profile.long.halfLifeMs`, `ranker.weights.profile`, `format`), so a hand-edited or
 * truncated file fails on load with the field to fix, never half-applied. Unknown fields are
 * errors too: a misspelt `eventWeight` would otherwise be silently ignored.
 */
export function parseTunedConfig(json: unknown): TunedOptions {
  if (!isObject(json)) throw bad('tuned', 'must be a JSON object (the file written by npm run tune)')
  if (json['format'] !== TUNED_FORMAT) throw bad('format', `must be "${TUNED_FORMAT}" (got ${JSON.stringify(json['format'])})`)
  if (json['version'] !== TUNED_VERSION) throw bad('version', `must be ${TUNED_VERSION} (got ${JSON.stringify(json['version'])}); re-run npm run tune`)
  onlyKeys(json, ['format', 'version', 'profile', 'ranker', 'meta'], 'tuned')
  const profile = json['profile'] ?? {}
  if (!isObject(profile)) throw bad('profile', 'must be an object')
  onlyKeys(profile, PROFILE_KEYS, 'profile')
  if (profile['eventWeights'] !== undefined) {
    if (!isObject(profile['eventWeights'])) throw bad('profile.eventWeights', 'must be an object')
    onlyKeys(profile['eventWeights'], EVENT_TYPES, 'profile.eventWeights')
  }
  if (profile['featureWeights'] !== undefined) {
    if (!isObject(profile['featureWeights'])) throw bad('profile.featureWeights', 'must be an object')
    onlyKeys(profile['featureWeights'], [...FEATURE_KINDS, 'similar'], 'profile.featureWeights')
  }
  if (profile['gate'] !== undefined) {
    if (!isObject(profile['gate'])) throw bad('profile.gate', 'must be an object')
    onlyKeys(profile['gate'], ['bias', 'slope'], 'profile.gate')
  }
  for (const k of ['long', 'short'] as const)
    if (profile[k] !== undefined && !isObject(profile[k])) throw bad(`profile.${k}`, 'must be a kernel object such as {"name": "exponential", "halfLifeMs": 86400000}')
  // The profile's own validator: kernels, finite weights, ascending price bands (fields are
  // already named profile.…).
  resolveProfileConfig(profile as ProfileOptions)

  const ranker = parseRankerOptions(json['ranker'] ?? {})
  if (json['meta'] !== undefined && !isObject(json['meta'])) throw bad('meta', 'must be an object')
  // A structured copy: the caller may freeze or mutate its options without touching the JSON.
  return { profile: JSON.parse(JSON.stringify(profile)) as ProfileOptions, ranker }
}

/**
 * Check the engine's `ranker` option (also a tuned file's `ranker`): fusion weights (finite,
 * ≥ 0) and the server transform. Throws `ValidationError` naming `ranker.weights.profile` etc.
 */
export function parseRankerOptions(ranker: unknown): RankerOptions {
  if (!isObject(ranker)) throw bad('ranker', 'must be an object')
  onlyKeys(ranker, ['weights', 'serverTransform'], 'ranker')
  const out: RankerOptions = {}
  if (ranker['weights'] !== undefined) {
    const w = ranker['weights']
    if (!isObject(w)) throw bad('ranker.weights', 'must be an object')
    onlyKeys(w, ['server', 'profile', 'encoder'], 'ranker.weights')
    const weights: Partial<FusionWeights> = {}
    for (const k of ['server', 'profile', 'encoder'] as const) {
      const v = w[k]
      if (v === undefined) continue
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(`ranker.weights.${k}`, `must be a finite number ≥ 0 (got ${JSON.stringify(v)})`)
      weights[k] = v
    }
    out.weights = weights
  }
  if (ranker['serverTransform'] !== undefined) {
    const t = ranker['serverTransform']
    if (!TRANSFORMS.includes(t as RankerConfig['serverTransform'])) throw bad('ranker.serverTransform', `must be one of ${TRANSFORMS.join(', ')} (got ${JSON.stringify(t)})`)
    out.serverTransform = t as RankerConfig['serverTransform']
  }
  return out
}

/** The file the tuner writes (pretty-printed JSON, stable key order). */
export function serializeTuned(options: TunedOptions, meta?: TunedMeta): string {
  const file: TunedFile = { format: TUNED_FORMAT, version: TUNED_VERSION, profile: options.profile, ranker: options.ranker, ...(meta ? { meta } : {}) }
  // Round-trip through the parser: the tuner never writes a file the library would refuse.
  parseTunedConfig(JSON.parse(JSON.stringify(file)))
  return `${JSON.stringify(file, null, 1)}\n`
}
