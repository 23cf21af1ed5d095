import type { BackendName, Consent, EngineOptions } from '../engine/types'
import { parseConsent } from './consent'

/**
 * The `<script>` tag's attributes → options. All optional:
 *
 * | attribute              | option           | notes                                                        |
 * |------------------------|------------------|--------------------------------------------------------------|
 * | `data-model`           | `model`          | URL of model.json, relative to the page                      |
 * | `data-model-sha256`    | `modelSha256`    | the model's pin (model.json + weights); mismatch refuses it  |
 * | `data-similarity`      | `similarity`     | URL of the item-to-item similarity table                     |
 * | `data-similarity-sha256` | `similaritySha256` | the table's pin (SHA-256 of its bytes); mismatch: not used |
 * | `data-config`          | `profile`, `ranker` | URL of a tuned file (`npm run tune`); fetched before the engine |
 * |                        |                  | starts; a bad or missing file is reported, defaults apply     |
 * | `data-backend`         | `backend`        | force `webgpu`, `wasm` or `cpu`                              |
 * | `data-consent`         | `consent`        | `granted` (default), `denied` or `pending`                   |
 * | `data-consent-mode`    | –                | `auto` (default): follow Google consent mode if `dataLayer`  |
 * |                        |                  | exists; `google`: create `dataLayer` and follow it; `off`    |
 * | `data-storage`         | `storage`        | `indexeddb` (default) or `memory`                            |
 * | `data-db-name`         | `dbName`         | IndexedDB database name                                      |
 * | `data-deadline`        | `deadlineMs`     | encoder deadline inside `rerank`, ms                         |
 * | `data-respect-gpc`     | `respectGPC`     | `false` to ignore Global Privacy Control (not recommended)   |
 * | `data-impressions`     | `impressions`    | `off`: items shown and never opened are not moved down        |
 * | `data-track`           | –                | `off` disables declarative tracking from `data-lr-*`         |
 * | `data-holdout`         | `holdout`        | share of shoppers kept on the server's order, e.g. `0.1`,    |
 * |                        |                  | sticky per device, for measuring the lift (holdout.ts)       |
 * | `data-intake`          | `intake`         | `ga4`: learn from the GA4 ecommerce events in `dataLayer`    |
 * |                        |                  | (gtag and GTM pushes, see intake-ga4.ts); `off` (default)    |
 * | `data-strict`          | `strict`         | `true`: errors reject instead of going to `onError`          |
 *
 * Invalid values are dropped and reported (one `console.warn` each, naming the attribute, and
 * `onError`), never thrown.
 */
export interface EmbedConfig {
  options: EngineOptions
  consentMode: 'auto' | 'google' | 'off'
  track: boolean
  /** Zero-code intake of the page's GA4 ecommerce events (intake-ga4.ts); 'off' unless asked for. */
  intake: 'ga4' | 'off'
  /** `data-holdout`: the control group's share in [0, 1], when a holdout runs. */
  holdout?: number
  problems: string[]
  /** `data-config`: URL of the tuned file (src/tuned/), loaded by the runtime before the engine starts. */
  configUrl?: string
}

/** A holdout share: `"0.1"`, `0.1` → 0.1; anything that is not a number in [0, 1] → undefined. */
export function parseHoldout(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 1 ? n : undefined
}

const SHA256 = /^[0-9a-f]{64}$/

export function parseScriptConfig(data: Readonly<Record<string, string | undefined>>, baseUrl: string): EmbedConfig {
  const options: EngineOptions = {}
  const problems: string[] = []
  const url = (name: string, v: string | undefined) => {
    if (!v) return undefined
    try {
      return new URL(v, baseUrl).href
    } catch {
      problems.push(`data-${name}: "${v}" is not a URL`)
      return undefined
    }
  }
  const model = url('model', data['model'])
  if (model) options.model = model
  // A pin that is not 64 hex digits (the README's "…" copied as is) can never match, so the
  // engine refuses the file; say so loudly, and where the real value comes from, instead of
  // letting the shop wonder why it only ever gets the profile path (issue 15 #7). The value is
  // still passed on: loading the file unchecked because its pin is malformed would defeat the pin.
  if (data['modelSha256']) {
    options.modelSha256 = data['modelSha256'].trim().toLowerCase()
    if (!SHA256.test(options.modelSha256)) {
      problems.push(
        `data-model-sha256: "${data['modelSha256']}" is not a SHA-256 (64 hex digits), so the model is not loaded; copy the modelSha256 that the exporter printed and wrote into model.json`,
      )
    }
  }
  const similarity = url('similarity', data['similarity'])
  if (similarity) options.similarity = similarity
  if (data['similaritySha256']) {
    options.similaritySha256 = data['similaritySha256'].trim().toLowerCase()
    if (!SHA256.test(options.similaritySha256)) {
      problems.push(`data-similarity-sha256: "${data['similaritySha256']}" is not a SHA-256 (64 hex digits), so the table is not used; \`sha256sum similarity.json\` prints it`)
    }
  }
  const configUrl = url('config', data['config'])
  const backend = data['backend']
  if (backend) {
    if (backend === 'webgpu' || backend === 'wasm' || backend === 'cpu') options.backend = backend as BackendName
    else problems.push(`data-backend: "${backend}" is not one of webgpu, wasm, cpu`)
  }
  if (data['consent']) {
    const c: Consent | undefined = parseConsent(data['consent'])
    if (c) options.consent = c
    else problems.push(`data-consent: "${data['consent']}" is not one of granted, denied, pending`)
  }
  const storage = data['storage']
  if (storage === 'indexeddb' || storage === 'memory') options.storage = storage
  else if (storage) problems.push(`data-storage: "${storage}" is not one of indexeddb, memory`)
  if (data['dbName']) options.dbName = data['dbName']
  if (data['deadline']) {
    const d = Number(data['deadline'])
    if (Number.isFinite(d) && d >= 0) options.deadlineMs = d
    else problems.push(`data-deadline: "${data['deadline']}" is not a number of ms ≥ 0`)
  }
  if (data['respectGpc'] === 'false') options.respectGPC = false
  if (data['impressions'] === 'off') options.impressions = false
  else if (data['impressions'] !== undefined && data['impressions'] !== 'on') problems.push(`data-impressions: "${data['impressions']}" is not one of on, off`)
  if (data['strict'] === 'true' || data['strict'] === '') options.strict = true
  const mode = data['consentMode'] ?? 'auto'
  const consentMode = mode === 'google' || mode === 'off' ? mode : 'auto'
  if (mode !== consentMode) problems.push(`data-consent-mode: "${mode}" is not one of auto, google, off`)
  const intakeRaw = data['intake'] ?? 'off'
  const intake = intakeRaw === 'ga4' ? 'ga4' : 'off'
  if (intakeRaw !== intake) problems.push(`data-intake: "${intakeRaw}" is not one of ga4, off`)
  const holdout = data['holdout'] === undefined ? undefined : parseHoldout(data['holdout'])
  if (data['holdout'] !== undefined && holdout === undefined) problems.push(`data-holdout: "${data['holdout']}" is not a share in [0, 1] (e.g. 0.1)`)
  return { options, consentMode, track: data['track'] !== 'off', intake, problems, ...(holdout === undefined ? {} : { holdout }), ...(configUrl ? { configUrl } : {}) }
}
