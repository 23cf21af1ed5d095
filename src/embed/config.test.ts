import { describe, expect, it } from 'vitest'
import { parseScriptConfig } from './config'

describe('parseScriptConfig', () => {
  it('maps data-* attributes (as dataset keys) to engine options, resolving URLs against the page', () => {
    const c = parseScriptConfig(
      {
        model: 'model/model.json',
        modelSha256: 'AB'.repeat(32),
        similarity: '/sim.json',
        similaritySha256: ' CD'.repeat(1) + 'cd'.repeat(31),
        backend: 'wasm',
        consent: 'pending',
        storage: 'memory',
        dbName: 'shop',
        deadline: '80',
        respectGpc: 'false',
        strict: 'true',
        consentMode: 'google',
        track: 'off',
        intake: 'ga4',
        holdout: '0.1',
      },
      'https://shop.example/p/page.html',
    )
    expect(c.options).toEqual({
      model: 'https://shop.example/p/model/model.json',
      modelSha256: 'ab'.repeat(32),
      similarity: 'https://shop.example/sim.json',
      similaritySha256: 'cd'.repeat(32),
      backend: 'wasm',
      consent: 'pending',
      storage: 'memory',
      dbName: 'shop',
      deadlineMs: 80,
      respectGPC: false,
      strict: true,
    })
    expect(c.consentMode).toBe('google')
    expect(c.track).toBe(false)
    expect(c.intake).toBe('ga4')
    expect(c.holdout).toBe(0.1)
    expect(c.problems).toEqual([])
  })
  it('drops and reports invalid values instead of throwing', () => {
    const c = parseScriptConfig({ backend: 'quantum', consent: 'maybe', deadline: '-1', storage: 'floppy', consentMode: 'tcf', intake: 'segment', holdout: '10%' }, 'https://shop.example/')
    expect(c.options).toEqual({})
    expect(c.consentMode).toBe('auto')
    expect(c.problems.map((p) => p.split(':')[0])).toEqual(['data-backend', 'data-consent', 'data-storage', 'data-deadline', 'data-consent-mode', 'data-intake', 'data-holdout'])
  })
  it('issue 15 #7: a placeholder or malformed pin is a problem naming the attribute and where the hash comes from', () => {
    const c = parseScriptConfig({ model: '/model/model.json', modelSha256: '…', similarity: '/sim.json', similaritySha256: 'abc' }, 'https://shop.example/')
    expect(c.problems.map((p) => p.split(':')[0])).toEqual(['data-model-sha256', 'data-similarity-sha256'])
    expect(c.problems[0]).toMatch(/modelSha256.*model\.json/)
    expect(c.problems[1]).toMatch(/sha256sum/)
    // Kept, so the engine still refuses the file: a pin that cannot match never loads it unchecked.
    expect(c.options.modelSha256).toBe('…')
    expect(parseScriptConfig({ modelSha256: 'ab'.repeat(32) }, 'https://shop.example/').problems).toEqual([])
  })
  it('defaults: no model, tracking on, consent mode auto', () => {
    expect(parseScriptConfig({}, 'https://shop.example/')).toEqual({ options: {}, consentMode: 'auto', track: true, intake: 'off', problems: [] })
  })
})
