import type { EventType, Item, StoredEvent } from '../events/types'

/** Names of the decay kernels in the registry (src/interest/kernels/). */
export type KernelName = 'exponential' | 'linear' | 'window' | 'power' | 'none'

/**
 * A decay kernel maps an event's age (ms, ≥ 0) to a weight in [0, 1] with weight(0) = 1.
 * Each kernel documents its formula and defaults where it is defined.
 */
export interface DecayKernel {
  readonly name: KernelName
  readonly params: Readonly<Record<string, number>>
  weight(ageMs: number): number
}

export type KernelSpec =
  | { name: 'exponential'; halfLifeMs: number }
  | { name: 'linear'; horizonMs: number }
  | { name: 'window'; windowMs: number }
  | { name: 'power'; scaleMs: number; exponent: number }
  | { name: 'none' }

/** Each event type's weight: a purchase counts for more than a view. */
export type EventWeights = Record<EventType, number>

/**
 * The features a profile keeps. `category` covers every level of the path, `tag` each of an
 * item's unordered `tags` (issue 15 #7), `query` the query tokens.
 */
export type FeatureKind = 'item' | 'category' | 'tag' | 'brand' | 'price' | 'query'

/**
 * The long/short gate: fused = g·short + (1 − g)·long, with
 * g = sigmoid(bias + slope · log(1 + shortMass)), where shortMass is the short profile's
 * total decayed event weight. More recent activity → more trust in the short-term view.
 */
export interface GateParams {
  bias: number
  slope: number
}

export interface ProfileConfig {
  long: KernelSpec
  short: KernelSpec
  eventWeights: EventWeights
  gate: GateParams
  /** How much each feature kind (and decayed item-to-item similarity) contributes to a score. */
  featureWeights: Record<FeatureKind | 'similar', number>
  /** Ascending price band edges; band i is [edges[i-1], edges[i]). */
  priceBands: number[]
}

/** Offline-computed item-to-item similarity, shipped like model weights. */
export interface SimilarityTable {
  /** Neighbours of `itemId` with their similarity, strongest first. Empty when unknown. */
  neighbors(itemId: string): ReadonlyArray<readonly [string, number]>
}

/** One reason an item scored: which interest or past item lifted it, and by how much. */
export interface Contribution {
  kind: FeatureKind | 'similar'
  /** The feature key: item id, category name, brand, band label, query token or similar item id. */
  key: string
  value: number
  /** How many history units (item occurrences or searches) carried this feature, undecayed. */
  count?: number
  /**
   * How many distinct items carried it (category, brand, price; 1 for an item or a similar
   * item; absent for a query token). Explanations count these: one film opened and then
   * viewed is two units but one item.
   */
  items?: number
  /** The event types behind it, in no particular order (explanations name the real event). */
  events?: EventType[]
  /** For `item` and `similar`: the latest title the history's events carried for that item. */
  title?: string
}

export interface ProfileScore {
  score: number
  /** Largest first. */
  contributions: Contribution[]
}

/** A current interest with its decayed, gate-fused weight (for the shopper's controls). */
export interface Interest {
  kind: FeatureKind
  key: string
  weight: number
  lastSeen: number
  /** How many history units (item occurrences or searches) carried this feature, undecayed. */
  count?: number
}

/** The profile's decayed masses at one instant and the gate they give (see GateParams). */
export interface ProfileMasses {
  /** Long-term profile: total decayed |event weight| (every unit counts, removals too). */
  long: number
  /** Short-term profile: total decayed |event weight| (the gate's `shortMass`). */
  short: number
  /** g in (0, 1): the short-term profile's share of the fused weights. */
  gate: number
}

export interface InterestProfile {
  readonly config: ProfileConfig
  /** Incremental update: cost proportional to this event's features, not to the history. */
  add(event: StoredEvent): void
  /** Score a candidate at time `now` (ms). Pure: does not mutate the profile. */
  score(item: Item, now: number): ProfileScore
  /** The same number as `score(item, now).score`, without building contributions: the hot path. */
  value(item: Item, now: number): number
  /** Fused, decayed weight of one feature at `now` (0 when unknown). Category keys as `categoryKeys` builds them. */
  weight(kind: FeatureKind, key: string, now: number): number
  /** Decayed masses and the gate at `now`. */
  masses(now: number): ProfileMasses
  /** The strongest interests at `now`, optionally of one kind. */
  top(now: number, n: number, kind?: FeatureKind): Interest[]
  /** Number of events folded in. */
  readonly size: number
}

/** A partial config as callers pass it: nested weight and gate objects merge key by key into the defaults. */
export type ProfileOptions = Partial<Omit<ProfileConfig, 'eventWeights' | 'featureWeights' | 'gate'>> & {
  eventWeights?: Partial<EventWeights>
  featureWeights?: Partial<ProfileConfig['featureWeights']>
  gate?: Partial<GateParams>
}
