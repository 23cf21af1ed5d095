import { describe, expect, it } from 'vitest'
import { parseScriptConfig } from '../embed/config'
import { LocalRankError, ValidationError } from '../errors'
import { serializeTuned } from './format'
import { loadTunedConfig } from './load'

const body = serializeTuned({ profile: { eventWeights: { purchase: 8 } }, ranker: { weights: { profile: 1.5 } } })
const fetchOf = (status: number, text: string): typeof fetch => (async () => new Response(text, { status })) as typeof fetch

describe('data-config: the embed script loads the tuned file', () => {
  it('data-config is resolved against the page like the other URLs', () => {
    const c = parseScriptConfig({ config: '/localrank/tuned.json' }, 'https://shop.example/p/1')
    expect(c.configUrl).toBe('https://shop.example/localrank/tuned.json')
    expect(parseScriptConfig({}, 'https://shop.example/').configUrl).toBeUndefined()
    expect(parseScriptConfig({ config: 'http://[' }, 'https://shop.example/').problems.join()).toMatch(/data-config/)
  })

  it('a good file gives the engine its profile and ranker options', async () => {
    const o = await loadTunedConfig('https://shop.example/tuned.json', fetchOf(200, body))
    expect(o.profile.eventWeights).toEqual({ purchase: 8 })
    expect(o.ranker.weights).toEqual({ profile: 1.5 })
  })

  it('a bad file names the field and the URL; a failed request or non-JSON names the URL', async () => {
    const bad = JSON.stringify({ ...JSON.parse(body), ranker: { weights: { profile: 'high' } } })
    const e = await loadTunedConfig('https://shop.example/t.json', fetchOf(200, bad)).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(ValidationError)
    expect((e as ValidationError).field).toBe('ranker.weights.profile')
    expect((e as Error).message).toMatch(/https:\/\/shop\.example\/t\.json/)
    const missing = await loadTunedConfig('https://shop.example/t.json', fetchOf(404, 'nope')).catch((x: unknown) => x)
    expect(missing).toBeInstanceOf(LocalRankError)
    expect((missing as Error).message).toMatch(/HTTP 404/)
    const garbage = await loadTunedConfig('https://shop.example/t.json', fetchOf(200, '<html>')).catch((x: unknown) => x)
    expect((garbage as Error).message).toMatch(/not JSON/)
    const down = await loadTunedConfig('https://shop.example/t.json', (async () => {
      throw new TypeError('offline')
    }) as typeof fetch).catch((x: unknown) => x)
    expect((down as Error).message).toMatch(/request failed \(offline\)/)
  })
})
