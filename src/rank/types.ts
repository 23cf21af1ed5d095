import type { Item } from '../events/types'
import type { Contribution } from '../interest/types'

/** One candidate from the shop's server. `score` is the server's own relevance, higher is better. */
export interface Candidate extends Item {
  score?: number
}

/** Which path produced an answer, best first. */
export type RankPath = 'encoder' | 'profile' | 'server'

export interface Explanation {
  /** Short human text, e.g. "You viewed 3 items in Comedy". */
  text: string
  source: 'profile' | 'encoder' | 'similar' | 'demotion' | 'diversity'
  contribution?: Contribution
}

export interface RankedItem<C extends Candidate = Candidate> {
  id: string
  candidate: C
  /** Final fused score. */
  score: number
  /** 0-based position in the server's (valid) list. */
  serverRank: number
  explanation: Explanation[]
}

/** What was done to invalid input (documented clean-up rather than a crash). */
export interface CandidateIssue {
  index: number
  field: string
  reason: string
  action: 'dropped' | 'score_ignored' | 'field_ignored'
}

export interface RankResult<C extends Candidate = Candidate> {
  items: RankedItem<C>[]
  path: RankPath
  /** Why a lower path was used (encoder not ready, deadline, error…). */
  reason?: string
  issues: CandidateIssue[]
  timings: { totalMs: number; encoderMs?: number }
}

export interface RankOptions {
  /** Return at most this many items (after ranking). */
  limit?: number
  /**
   * Which items get explanations: `true` every returned item, `false` none, a number the top N.
   * Default: the top 100 (a page or two; explaining 2,000 candidates would cost more than the
   * rest of the ranking). Items past the cut have `explanation: []`.
   */
  explain?: boolean | number
  /** Milliseconds to wait for the encoder before answering from the profile. */
  deadlineMs?: number
  /**
   * MMR diversity λ in [0,1]: 1 = pure relevance (off), lower = more diverse. It re-orders the
   * top `mmrWindow` (200) items at most; items bought recently stay below the rest.
   */
  diversity?: number
}

/**
 * The encoder slot: the ranker asks for one score per candidate. Returns null when the
 * encoder cannot answer (not loaded, failed); the ranker then falls back to the profile.
 */
export interface EncoderScorer {
  ready(): boolean
  score(candidates: ReadonlyArray<Candidate>, signal: AbortSignal): Promise<Float32Array | null>
}
