import { describe, expect, it } from 'vitest'
import { engineSource, provideEngine } from './source'

describe('provideEngine (issue 13 #15: no unguarded promise)', () => {
  it('an engine that failed to start is not an unhandled rejection, and elements still see the failure', async () => {
    const unhandled: unknown[] = []
    const on = (r: unknown) => unhandled.push(r)
    process.on('unhandledRejection', on)
    try {
      provideEngine(Promise.reject(new Error('LocalRank could not start')))
      await new Promise((r) => setTimeout(r, 20))
      expect(unhandled).toEqual([])
      await expect(engineSource()).rejects.toThrow('could not start')
    } finally {
      process.off('unhandledRejection', on)
    }
  })
})
