import type { Clock } from '../clock'
import type { LocalRankError } from '../errors'
import type { StoredEvent, TrackInput } from '../events/types'
import type { Interest, ProfileOptions } from '../interest/types'
import type { ImpressionConfig } from '../rank/impressions'
import type { Candidate, RankOptions, RankResult } from '../rank/types'
import type { HistoryExport, RetentionPolicy, StoreChange, StoreMeta } from '../store/types'
import type { RankerOptions } from '../tuned/format'

export type BackendName = 'webgpu' | 'wasm' | 'cpu'

/** Model loading progress, keyed on `status` as in Transformers.js. */
export type LoadProgress =
  | { status: 'initiate'; file: string }
  | { status: 'download'; file: string }
  | { status: 'progress'; file: string; loaded: number; total: number; progress: number }
  | { status: 'done'; file: string }
  | { status: 'ready'; backend: BackendName; reason: string }
  | { status: 'error'; error: LocalRankError }

export type Consent = 'granted' | 'denied' | 'pending'

export interface EngineOptions {
  /** URL of the encoder's model.json. Omit to rank with the decay profile alone. */
  model?: string
  /**
   * The model's pin: the SHA-256 (hex) the exporter prints, over model.json's config, vocabulary
   * and manifest and the weights' digest (src/encoder/weights.ts `modelSha256`). Any mismatch
   * refuses the model, before its weights are downloaded.
   */
  modelSha256?: string
  /** URL of the offline item-to-item similarity table (JSON). Optional. */
  similarity?: string
  /**
   * The similarity table's pin: the SHA-256 (hex) of the file's bytes, as the exporter prints
   * it. A table that does not match is not used (reported with code `integrity`; ranking goes
   * on without it), so a tampered table cannot promote items with made-up explanations.
   * Without a pin the table is used unchecked.
   */
  similaritySha256?: string
  /** Force a backend; an unavailable one is an error naming the valid options. */
  backend?: BackendName
  /** Throw errors into the caller instead of reporting them to `onError`. Default false. */
  strict?: boolean
  onError?: (error: LocalRankError) => void
  onProgress?: (p: LoadProgress) => void
  /** Storage: IndexedDB by default; 'memory' keeps history for this page only. */
  storage?: 'indexeddb' | 'memory'
  dbName?: string
  retention?: Partial<RetentionPolicy>
  profile?: ProfileOptions
  /**
   * The ranker's fusion: `weights` (server, profile, encoder; merged over the defaults) and
   * `serverTransform`. `npm run tune` writes this and `profile` for one shop:
   * `createEngine({ ...parseTunedConfig(await (await fetch('/tuned.json')).json()), model })`.
   */
  ranker?: RankerOptions
  /** Default deadline for `rerank`, ms. */
  deadlineMs?: number
  /** Window in which bought items are demoted, ms. Default 30 days. */
  demotePurchasedMs?: number
  /**
   * Impressions as a signal (`view_item_list`, src/rank/impressions.ts): an item shown again
   * and again and never engaged with moves down, explained. `false` switches it off
   * (`data-impressions="off"`); an object tunes it (`weight`, `halfLifeMs`, `grace`). Default on.
   */
  impressions?: boolean | Partial<ImpressionConfig>
  /**
   * The shopper's consent. 'pending' keeps events in memory until a choice is made;
   * 'denied' stores nothing and keeps the server's order. Default 'granted'.
   * `navigator.globalPrivacyControl === true` always acts as 'denied'.
   */
  consent?: Consent
  /** Honour Global Privacy Control. Default true. */
  respectGPC?: boolean
  clock?: Clock
}

export interface EngineInfo {
  backend: BackendName | null
  backendReason: string
  model: { url: string; ready: boolean; error?: string } | null
  /**
   * The similarity table, when one is configured. It loads in the background (tracking and
   * ranking never wait for it); `ready` once the profile uses it.
   */
  similarity: { url: string; ready: boolean; error?: string } | null
  events: number
  storage: 'indexeddb' | 'memory'
  storageReason?: string
  consent: Consent
  gpc: boolean
  paused: boolean
  /**
   * With a holdout (`data-holdout`, src/embed/holdout.ts): the shopper's group; null when they are
   * outside the experiment (consent denied, GPC). Absent without a holdout.
   */
  variant?: 'personalised' | 'control' | null
}

export interface Engine {
  /** Validate and record one event. Resolves to the stored event, or null when not recorded (consent, pause, non-strict error). */
  track(event: TrackInput): Promise<StoredEvent | null>
  rerank<C extends Candidate>(candidates: ReadonlyArray<C>, options?: RankOptions): Promise<RankResult<C>>
  /** The newest `limit` events, oldest first (all without one). A `limit` that is not a number ≥ 0 is reported and ignored. */
  history(limit?: number): Promise<StoredEvent[]>
  /** The `n` (default 10) strongest current interests (decayed), for the shopper's controls. A bad `n` is reported and ignored. */
  interests(n?: number): Promise<Interest[]>
  forget(itemId: string): Promise<number>
  forgetEvent(eventId: string): Promise<boolean>
  blockCategory(category: string): Promise<void>
  unblockCategory(category: string): Promise<void>
  pause(paused: boolean): Promise<void>
  /**
   * Set the shopper's consent. It is persisted (a withdrawal holds on later pages) and reaches
   * every open tab of the origin at once; `denied` wipes the history and deletes the database.
   */
  setConsent(consent: Consent): Promise<void>
  /**
   * Delete the history. The shopper's settings (pause, blocked categories) are kept, so a
   * paused shopper stays paused, unless `{ settings: true }` asks for them to go too.
   */
  clear(options?: { settings?: boolean }): Promise<void>
  export(): Promise<HistoryExport>
  meta(): Promise<StoreMeta>
  info(): EngineInfo
  /** Subscribe to history changes (this tab and others). Returns an unsubscribe function. */
  on(type: 'change', listener: (change: StoreChange) => void): () => void
  dispose(): Promise<void>
}
