import type { ProfileConfig } from './types'

/**
 * The profile's defaults. The evaluator (src/offline/) may overwrite these numbers with tuned
 * ones; keep this file to this one constant.
 *
 * - long:  exponential, half-life 180 days; short: exponential, half-life 5 minutes.
 *   Tuned on MovieLens ml-latest-small validation items (uniform-100, NDCG@10; see
 *   src/offline/eval/report/README.md): long half-lives of 90 d–1 y score 0.543–0.544,
 *   14 d–10 y all ≥ 0.541, 1 h–7 d 0.531–0.537; a 5-minute short profile beats 30 min
 *   (0.522) and 1 h (0.518): ratings come in bursts, and the burst in progress is the best
 *   guide to the next item. The exponential kernel (0.544) beat power (0.540), linear
 *   (0.537), window (0.529) and no decay (0.487).
 * - eventWeights: purchase 5 > add_to_cart = begin_checkout 3 > add_to_wishlist 2 >
 *   select_item 1.5 > view_item 1; search 1.5 (applied to the query's tokens);
 *   remove_from_cart −1, a NEGATIVE signal on the removed item's features: it retracts
 *   part of the earlier add (add + remove nets +2, still above a view, since the shopper
 *   did consider it), and a removal on its own counts against the item.
 * - gate: bias 0, slope 1 → g = sigmoid(log(1 + shortMass)) = (1 + M)/(2 + M): g = 0.5 with
 *   no recent activity, 0.67 after one view in the last minutes, 0.8 after three (tuned:
 *   bias −2 gave 0.534, −1 0.540, 0 0.5415, +1 0.539; slope 1 beat 0, 0.5 and 2).
 * - featureWeights: item 1, category 1 (per level, so a deep match counts at every level),
 *   tag 1 (each tag, like one category level), brand 0.5, price band 0.25, query 1, similar
 *   (decayed item-to-item CF) 10 000.
 *   Only ratios matter (the ranker standardises the profile score per list). Tuned on
 *   MovieLens, category : similar = 1e−4 was best (1e−3: −0.005, 1e−2: −0.03, 1: −0.27):
 *   with a similarity table loaded, genres add noise to item-to-item CF. It is written as
 *   similar = 10 000 rather than category = 1e−4 so that the ratios among item, category,
 *   brand, price and query (which MovieLens cannot inform) stay as designed, and a shop
 *   without a table keeps its category signal at full strength.
 * - priceBands: 10, 25, 50, 100, 250, 500, 1000 (in the shop's currency; set your own).
 */
export const DEFAULT_PROFILE_CONFIG: ProfileConfig = {
  long: { name: 'exponential', halfLifeMs: 180 * 24 * 3600 * 1000 },
  short: { name: 'exponential', halfLifeMs: 5 * 60 * 1000 },
  eventWeights: {
    view_item: 1,
    select_item: 1.5,
    add_to_cart: 3,
    remove_from_cart: -1,
    add_to_wishlist: 2,
    begin_checkout: 3,
    purchase: 5,
    search: 1.5,
    // Impressions are not interest (src/rank/impressions.ts uses them); the profile skips them.
    view_item_list: 0,
  },
  gate: { bias: 0, slope: 1 },
  featureWeights: { item: 1, category: 1, tag: 1, brand: 0.5, price: 0.25, query: 1, similar: 10_000 },
  priceBands: [10, 25, 50, 100, 250, 500, 1000],
}
