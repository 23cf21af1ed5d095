import type { ProfileConfig } from './types'

/**
 * The profile's defaults. The evaluator (src/offline/) may overwrite these numbers with tuned
 * ones; keep this file to this one constant.
 *
 * - long:  exponential, half-life 30 days: months-old interests still count a little.
 * - short: exponential, half-life 1 hour: roughly the current session.
 * - eventWeights: purchase 5 > add_to_cart = begin_checkout 3 > add_to_wishlist 2 >
 *   select_item 1.5 > view_item 1; search 1.5 (applied to the query's tokens);
 *   remove_from_cart −1, a NEGATIVE signal on the removed item's features: it retracts
 *   part of the earlier add (add + remove nets +2, still above a view, since the shopper
 *   did consider it), and a removal on its own counts against the item.
 * - gate: bias −2, slope 1 → g = sigmoid(−2 + log(1 + shortMass)): g ≈ 0.12 with no recent
 *   activity, 0.5 at shortMass = e² − 1 ≈ 6.4 (about six views this hour), 0.75 at 21.
 * - featureWeights: item 1, category 1 (per level, so a deep match counts at every level),
 *   brand 0.5, price band 0.25, query 1, similar (decayed item-to-item CF) 1.
 * - priceBands: 10, 25, 50, 100, 250, 500, 1000 (in the shop's currency; set your own).
 */
export const DEFAULT_PROFILE_CONFIG: ProfileConfig = {
  long: { name: 'exponential', halfLifeMs: 30 * 24 * 3600 * 1000 },
  short: { name: 'exponential', halfLifeMs: 3600 * 1000 },
  eventWeights: {
    view_item: 1,
    select_item: 1.5,
    add_to_cart: 3,
    remove_from_cart: -1,
    add_to_wishlist: 2,
    begin_checkout: 3,
    purchase: 5,
    search: 1.5,
  },
  gate: { bias: -2, slope: 1 },
  featureWeights: { item: 1, category: 1, brand: 0.5, price: 0.25, query: 1, similar: 1 },
  priceBands: [10, 25, 50, 100, 250, 500, 1000],
}
