/**
 * The offline evaluator (`npm run eval`): does LocalRank rank better than what the server
 * sends, and by how much, on the protocol published results use?
 *
 * **Flow.** load (../data) → leave-one-out split and candidates (../protocol) → artifacts
 * from training interactions only (../similarity) → every model replays each user's events
 * and scores the server's list at the held-out event's time (run.ts) → metrics with paired
 * bootstrap intervals (../metrics) → Markdown, JSON and SVG (report.ts, svg.ts).
 *
 * **Same code as the browser.** Profile models (models/profile.ts) fold events with
 * `InterestProfile.add` and rank with `rerank` from src/rank, exactly as the engine does;
 * the similarity table they use has been serialised to and parsed from the format the
 * browser loads (src/interest/similarity.ts).
 *
 * **Flags** (`npm run eval -- --help`): --dataset, --items, --time-unit, --ratings,
 * --protocol uniform,popularity,full (leave-one-out) and session,session-new,cart,category
 * (shop protocols, ../protocol/shop.ts) or all, --phase test|val|both, --seed, --limit-users,
 * --model (names, groups `baselines`/`profiles`/`encoders`, or all), --negatives,
 * --ties expected|pessimistic, --retention none|store, --bootstrap, --json PATH,
 * --report DIR, --render results.json, --tune, --tuned PATH, --write-similarity PATH.
 *
 * **Adding a model** (e.g. `--model encoder`). Implement `ModelSpec` (types.ts):
 *
 *   const encoder: ModelSpec = {
 *     name: 'encoder', description: '…', group: 'encoder',
 *     create(ctx) {            // once per run; ctx.train() has the training sequences
 *       return { session(user) {
 *         return {
 *           add(event) { … },                         // events in time order, as track() stores them
 *           async score(candidates, now) { … },        // Float64Array aligned with candidates, higher = better
 *         }
 *       } }
 *     },
 *   }
 *
 * and add it to `registry()` in models/index.ts (models/encoder.ts is one; its optional
 * `unavailable()` makes `--model all` skip it when no trained model is present). To go through the ranker as the browser
 * does, call `rerank(candidates, { now, profile, encoder })` inside `score` with an
 * `EncoderScorer` and read each item's fused `score` back by `serverRank`, as
 * models/profile.ts does.
 */
export { main, readTuned, DEFAULT_TUNED } from './cli'
export { createContext, type BuiltContext, type ContextOptions } from './context'
export { registry, selectModels, profileModel, popularity, random, recency, cooccurrence, type TunedPoints } from './models'
export { runEvaluation, summarise, serverList, CUTOFFS, LIST_K, type Cell, type CellSummary, type RunOptions, type RunResult } from './run'
export { Tuner, eventWeightSweep, DEFAULT_TUNE, type TuneOptions, type TuneResult } from './tune'
export { START, GRIDS, kernelSpec, profileConfigOf, rankerConfigOf, type TunePoint } from './params'
export { writeReport, renderMarkdown, resultTable, type ReportData } from './report'
export { Progress } from './progress'
export type { EvalContext, ListHint, ModelSpec, Scorer, UserSession } from './types'
export { rankAll, scoresOf, ProfileFullScorer, CatalogueColumns, HistoryFeatures } from './full'
// The protocols (leave-one-out and shop), for tools built on the evaluator (npm run tune).
export { ALL_PROTOCOLS, SHOP_PROTOCOLS, caseFor, isProtocol, shopHeldOut, type EvalProtocol, type ShopCase, type ShopProtocolName } from '../protocol/shop'
export { PROTOCOLS, candidatesFor, type Phase, type ProtocolName } from '../protocol/candidates'
