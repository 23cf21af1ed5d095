import type { InterestProfile } from '../interest/types'

/**
 * Defaults that depend on which signals are present (issue 11 part 4: the shipped defaults
 * never rank below the server's order).
 *
 * The profile's evidence about a candidate list is of two kinds:
 * - **behavioural**: a candidate the shopper touched (the item term), or item-to-item
 *   similarity (a loaded table, or `neighbours` carried by candidates or tracked items);
 * - **content only**: categories, brand, price band, query words.
 *
 * Content alone is as good as the catalogue's categories. On REES46 (category paths, brands)
 * it lifts uniform-100 validation NDCG@10 from 0.26 (popularity) to 0.68; on MovieLens
 * (genres) it loses to popularity at any fusion weight ≥ 0.25 (uniform 0.199 vs 0.336,
 * category page 0.159 vs 0.292 at the defaults), because genres match most of any list and
 * reorder it by taste the server's order already serves better. What tells them apart inside
 * one list is coverage: a MovieLens shopper's genres match most candidates, a REES46 shopper's
 * categories a few. So by default, when the only evidence is content that matches more than
 * `CONTENT_COVERAGE_LIMIT` of a list of at least `CONTENT_RULE_MIN_CANDIDATES`, the profile does not reorder it (the server's order,
 * or the encoder's, stands). Measured with this rule (validation, 600 users each, every
 * protocol): MovieLens without a table ties or beats popularity everywhere; REES46 without a
 * table keeps uniform 0.683 (0.720 without the rule).
 *
 * The rule is a default: an explicit `ranker.weights.profile` (a tuned file always has one)
 * switches it off, because `npm run tune` has measured that shop's content.
 */
export const CONTENT_COVERAGE_LIMIT = 0.5
/**
 * Lists shorter than this are always reordered: coverage is a statistic of the list, and on a
 * strip of three cross-sells "two of three match" says nothing about the catalogue (the lists
 * the rule was measured on have 101 candidates or the whole catalogue).
 */
export const CONTENT_RULE_MIN_CANDIDATES = 20

/** What a candidate must look like for the check (anything else is skipped, never thrown on). */
interface Listed {
  id?: unknown
  neighbours?: unknown
}

/**
 * Whether the profile should reorder this list by default (see the module comment).
 * `itemData`: a similarity table is loaded or tracked items carried `neighbours`.
 * Cost: one `profile.value` per candidate, only when there is no item data (the common case
 * of a table is answered at once).
 */
export function profileSpeaks(profile: InterestProfile, candidates: ReadonlyArray<unknown>, now: number, itemData: boolean): boolean {
  return profileSpeaksWith(profile, candidates, (i) => profile.value(candidates[i] as never, now), now, itemData)
}

/**
 * The same rule with the profile's value of candidate `i` supplied by the caller: the ranker
 * has just computed every value for the ranking itself, so the rule costs no second profile
 * walk (issue 14: the engine ran one walk of 2,000 candidates for the rule before it even asked
 * the encoder, and the ranker a second one for the scores).
 */
export function profileSpeaksWith(profile: InterestProfile, candidates: ReadonlyArray<unknown>, value: (i: number) => number, now: number, itemData: boolean): boolean {
  if (itemData) return true
  const n = candidates.length
  if (n < CONTENT_RULE_MIN_CANDIDATES) return true
  let covered = 0
  let valid = 0
  for (let i = 0; i < n; i++) {
    const c = candidates[i] as Listed | null
    if (typeof c !== 'object' || c === null || typeof c.id !== 'string') continue
    valid++
    if (Array.isArray(c.neighbours) && c.neighbours.length > 0) return true
    if (profile.weight('item', c.id, now) > 0) return true
    if (value(i) > 0) covered++
  }
  return valid < CONTENT_RULE_MIN_CANDIDATES || covered / valid <= CONTENT_COVERAGE_LIMIT
}
