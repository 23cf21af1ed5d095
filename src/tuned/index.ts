/**
 * The tuned-parameters file (format `localrank-tuned` v1): written by `npm run tune`
 * (src/offline/tune/), loaded by the library and the embed script (`data-config`). See
 * format.ts for the schema. Browser-safe.
 */
export { loadTunedConfig } from './load'
export { parseRankerOptions, parseTunedConfig, serializeTuned, TUNED_FORMAT, TUNED_VERSION, type RankerOptions, type TunedFile, type TunedMeta, type TunedOptions, type TunedScores } from './format'
