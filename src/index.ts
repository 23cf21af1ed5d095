/**
 * LocalRank's public API: the factory, the public types and the error classes, nothing else.
 *
 * Deliberately left out (as ky does, to keep the surface small and the bundle tree-shakable):
 * the store, the decay kernels, the ranker internals and the encoder runtime. They are
 * implementation stages (src/store, src/interest, src/rank, src/encoder) that may change
 * without a major version; the offline tools import them directly from src/.
 */
export { createEngine } from './engine/engine'
export { LocalRankError, ValidationError, StorageError, BackendError, ModelError } from './errors'
export type { LocalRankErrorCode, LocalRankErrorContext } from './errors'
export type { Engine, EngineOptions, EngineInfo, BackendName, LoadProgress, Consent } from './engine/types'
export type { EventType, Item, TrackInput, StoredEvent } from './events/types'
export type { Candidate, RankOptions, RankResult, RankedItem, RankPath, Explanation, CandidateIssue } from './rank/types'
export type { Interest, FeatureKind, ProfileConfig, ProfileOptions, KernelSpec, Contribution } from './interest/types'
export type { HistoryExport, StoreChange, StoreMeta, RetentionPolicy } from './store/types'
// The tuned file of `npm run tune`: createEngine({ ...parseTunedConfig(json), model }).
export { parseTunedConfig } from './tuned/format'
export type { TunedOptions, RankerOptions } from './tuned/format'
