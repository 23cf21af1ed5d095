import { describe, expect, it } from 'vitest'
import { BackendError } from '../errors'
import type { BackendChoice } from './backend'
import { activate } from './runtime'

const threaded: BackendChoice = { backend: 'wasm', reason: 'no WebGPU (test); using WASM (SIMD, threads)', fallbacks: ['cpu'], threads: true }

/** An 'error' event as the encoder worker sees a pthread's failure: emscripten rethrows the pthread's ErrorEvent. */
function pthreadError(message: string): Event {
  const inner = new Event('error')
  Object.defineProperty(inner, 'message', { value: message })
  const ev = new Event('error', { cancelable: true })
  Object.defineProperty(ev, 'error', { value: inner })
  return ev
}

describe('activate: threaded WASM falls back to single-thread WASM (issue 13 #21)', () => {
  it('a pthread that fails to start is caught, and WASM comes up without threads', async () => {
    const scope = new EventTarget()
    const tried: Array<{ backend: string; threads: boolean | undefined }> = []
    const r = await activate(threaded, {
      scope,
      activate: async (_tf, c) => {
        tried.push({ backend: c.backend, threads: c.threads })
        if (c.threads) {
          setTimeout(() => scope.dispatchEvent(pthreadError('ReferenceError: e is not defined')), 5)
          await new Promise(() => {}) // tfjs's init never settles when its threads die
        }
      },
    })
    expect(tried).toEqual([
      { backend: 'wasm', threads: true },
      { backend: 'wasm', threads: false },
    ])
    expect(r.backend).toBe('wasm')
    expect(r.reason).toMatch(/WASM with threads failed to initialise \(a WASM thread failed to start: ReferenceError: e is not defined\)/)
    expect(r.reason).toMatch(/using WASM \(SIMD, no threads\)$/)
    // Errors of the abandoned pthreads keep being swallowed; any other error is left alone.
    const late = pthreadError('late')
    scope.dispatchEvent(late)
    expect(late.defaultPrevented).toBe(true)
    const other = new Event('error', { cancelable: true })
    Object.defineProperty(other, 'error', { value: new TypeError('page bug') })
    scope.dispatchEvent(other)
    expect(other.defaultPrevented).toBe(false)
  })

  it('an init that never answers times out and the next attempt runs', async () => {
    const tried: string[] = []
    const r = await activate(threaded, {
      scope: new EventTarget(),
      timeoutMs: 30,
      activate: async (_tf, c) => {
        tried.push(`${c.backend}${c.threads ? '+threads' : ''}`)
        if (c.threads) await new Promise(() => {})
      },
    })
    expect(tried).toEqual(['wasm+threads', 'wasm'])
    expect(r.reason).toMatch(/no answer in 30 ms/)
  })

  it('a forced WASM still drops to single-thread WASM, never to another backend', async () => {
    const forced: BackendChoice = { backend: 'wasm', reason: 'forced by the backend option: WASM (SIMD, threads)', fallbacks: [], threads: true }
    const tried: string[] = []
    const err = await activate(forced, {
      scope: new EventTarget(),
      activate: async (_tf, c) => {
        tried.push(`${c.backend}${c.threads ? '+threads' : ''}`)
        throw new Error('broken')
      },
    }).catch((e: unknown) => e)
    expect(tried).toEqual(['wasm+threads', 'wasm'])
    expect(err).toBeInstanceOf(BackendError)
    expect((err as BackendError).message).toMatch(/no backend could be initialised/)
  })
})
