/**
 * The evaluation protocol: leave-one-out split and the three candidate sets, seeded.
 * See split.ts and candidates.ts for the exact rules and their sources.
 */
export { fnv1a, mulberry32, randInt, rngFor, shuffle, type Rng } from './prng'
export { leaveOneOut, sortEvents, splitUser, trainEvents, type HeldOut, type Split, type UserSplit } from './split'
export {
  DEFAULT_NEGATIVES,
  PROTOCOLS,
  candidatesFor,
  samplePopularity,
  sampleUniform,
  type Phase,
  type ProtocolName,
} from './candidates'
export {
  ALL_PROTOCOLS,
  CART_TYPES,
  SESSION_GAP_MS,
  SHOP_PROTOCOLS,
  caseFor,
  categoryNegatives,
  historyItems,
  inSession,
  isProtocol,
  sampleFromPool,
  shopHeldOut,
  type EvalProtocol,
  type ShopCase,
  type ShopOptions,
  type ShopProtocolName,
} from './shop'
export { samplePopularityFast, splitIndex, type SplitIndex } from './candidates'
