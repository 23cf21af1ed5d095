/**
 * Per-shop tuning (`npm run tune`, issue 11): the decay kernel and its half-lives, the gate,
 * the event-type weights, the profile's feature weights (similarity included) and the ranker's
 * fusion (profile weight, server transform), chosen by coordinate descent from the library
 * defaults on VALIDATION lists only, for an objective you choose (default: popularity-sampled
 * + category-page lists; uniform negatives are the easiest and mislead). Every point runs the
 * browser's own code (src/interest profile, src/rank rerank) through the evaluator's profile
 * model. Output: one `localrank-tuned` file (src/tuned/format.ts), which the library and the
 * embed script load.
 *
 * Left out of this index: the CLI's flag parsing and output (cli.ts).
 */
export { DEFAULT_OBJECTIVE, OBJECTIVE_PROTOCOLS, parseObjective, ValidationLists, type Objective, type ObjectiveProtocol, type ObjectiveScore } from './objective'
export { defaultPoint, dimensions, optionsOf, signalsOf, tauOf, type Dim, type Signals, type TunePoint } from './space'
export { coordinateDescent, DEFAULT_SEARCH, type SearchOptions, type SearchProgress, type SearchResult, type TraceStep } from './tuner'
