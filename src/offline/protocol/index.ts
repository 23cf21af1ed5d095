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
