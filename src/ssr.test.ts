/**
 * Server rendering (issue 15 #6): a framework renders pages in Node, where there is no window,
 * document, HTMLElement, Worker, IndexedDB or navigator.gpu. Importing either public entry there
 * must not throw (the environment here is plain Node). The built package is checked the same way
 * by e2e/react.spec.ts, which renders the React example on the server from dist/lib.
 */
import { describe, expect, it } from 'vitest'

describe('importing LocalRank without a DOM', () => {
  it('has no DOM here (else this test would prove nothing)', () => {
    // (indexedDB is left out: fake-indexeddb, which other test files load, may define it.)
    for (const g of ['window', 'document', 'HTMLElement', 'customElements', 'Worker']) expect(typeof (globalThis as Record<string, unknown>)[g], g).toBe('undefined')
  })

  it('localrank imports and exposes its factory and errors', async () => {
    const m = await import('./index')
    expect(typeof m.createEngine).toBe('function')
    expect(new m.ValidationError('invalid_event', 'type', 'is missing')).toBeInstanceOf(m.LocalRankError)
  })

  it('localrank/embed imports (its elements are classes, defined only in a browser)', async () => {
    const m = await import('./embed/index')
    expect(typeof m.defineLocalRankElements).toBe('function')
    expect(typeof m.LocalRankList).toBe('function')
    expect(typeof m.boot).toBe('function')
  })
})
