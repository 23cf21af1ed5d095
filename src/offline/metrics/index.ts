/**
 * Ranking metrics for one held-out item among candidates, and bootstrap intervals.
 * HR@K, NDCG@K (1/log2(p+2) on a hit), MRR, catalogue coverage@K and intra-list
 * diversity@K; tie handling is documented in rank.ts (never optimistic).
 */
export { coverage, hitAt, intraListDiversity, ndcgAt, rankInfo, reciprocalRank, topK, type RankInfo, type TieMode } from './rank'
export { Bootstrap, DEFAULT_BOOTSTRAP, coverageInterval, mean, quantile, type Interval } from './bootstrap'
