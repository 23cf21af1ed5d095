/**
 * Interest profiles: pure decay maths over the shopper's events, no I/O.
 * Left out on purpose: the accumulators and the config resolver (internals of the profile).
 */
export { createProfile, buildProfile, sigmoid } from './profile'
export { DEFAULT_PROFILE_CONFIG } from './defaults'
export { resolveProfileConfig, FEATURE_KINDS } from './config'
export { createKernel, KERNELS, KERNEL_NAMES, type PartialKernelSpec } from './kernels'
export { categoryKeys, priceBand, priceBandLabel, tokenize, uniqueTokens, CATEGORY_SEPARATOR } from './features'
export {
  MemorySimilarityTable,
  createSimilarityTable,
  parseSimilarityTable,
  parseSimilarity,
  parseSimilarityTableAsync,
  serializeSimilarityTable,
  SIMILARITY_FORMAT,
  SIMILARITY_VERSION,
  type SimilarityTableJSON,
  type BuildSimilarityOptions,
} from './similarity'
export { loadSimilarityTable, type LoadSimilarityOptions } from './load'
export type * from './types'
