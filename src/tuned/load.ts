import { LocalRankError, ValidationError } from '../errors'
import { parseTunedConfig, type TunedOptions } from './format'

/**
 * Fetch and check a tuned file (the embed script's `data-config="/path/tuned.json"`).
 * Rejects with a `LocalRankError` that names the URL: `invalid_options` with the field for a
 * file that fails validation (`profile.long.halfLifeMs: …`), `model` for a failed request or
 * a body that is not JSON. The caller decides what a failure means (the embed script reports
 * it and ranks with the defaults). Only the file is requested: nothing about the shopper is
 * sent, so the request is the same for every visitor (and cacheable).
 */
export async function loadTunedConfig(url: string, fetchImpl: typeof fetch = fetch): Promise<TunedOptions> {
  let res: Response
  try {
    res = await fetchImpl(url, { credentials: 'same-origin' })
  } catch (err) {
    throw new LocalRankError('model', `tuned config ${url}: request failed (${err instanceof Error ? err.message : String(err)})`, { url }, { cause: err })
  }
  if (!res.ok) throw new LocalRankError('model', `tuned config ${url}: HTTP ${res.status}`, { url, status: res.status })
  let json: unknown
  try {
    json = await res.json()
  } catch (err) {
    throw new LocalRankError('model', `tuned config ${url}: not JSON`, { url }, { cause: err })
  }
  try {
    return parseTunedConfig(json)
  } catch (err) {
    if (err instanceof ValidationError) {
      // Keep the field (as the engine's options name it) and say which file it came from.
      const e = new ValidationError('invalid_options', err.field, `${err.reason} (in ${url})`)
      e.context['url'] = url
      throw e
    }
    throw err
  }
}
