/**
 * The classic loader (`localrank.js`) must never throw into the host page (issue 13 #14): its
 * last-resort handler logged with `console.debug`, and a page whose `console.debug` throws (a
 * logging shim, a console wrapped by a monitoring script) turned a failed runtime import into an
 * unhandled rejection. The loader is an IIFE over `window` and `document`; here they are the
 * few members it touches, and the runtime it imports does not exist, so the import fails.
 */
import { afterEach, expect, it, vi } from 'vitest'

// A classic script, not a module (no imports or exports, so TypeScript has no module to type):
// imported by name, once per test (resetModules), which runs its IIFE again.
const LOADER = './loader.ts'
const runLoader = () => import(/* @vite-ignore */ LOADER) as Promise<unknown>

afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
  vi.resetModules()
})

function fakePage(src: string | null) {
  const appended: unknown[] = []
  const script = src === null ? null : { src, dataset: { model: '/model/model.json' } }
  vi.stubGlobal('window', {})
  vi.stubGlobal('document', {
    currentScript: script,
    querySelector: () => script,
    getElementById: () => null,
    createElement: () => ({}),
    head: { appendChild: (n: unknown) => appended.push(n) },
  })
  return { appended }
}

async function unhandledWhile(fn: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = []
  const on = (r: unknown) => seen.push(r)
  process.on('unhandledRejection', on)
  try {
    await fn()
    // Long enough for the failed import and its handler to settle.
    await new Promise((r) => setTimeout(r, 300))
  } finally {
    process.off('unhandledRejection', on)
  }
  return seen
}

it('defect 14: a runtime that fails to load, on a page whose console.debug throws, is no unhandled rejection', async () => {
  const debug = vi.spyOn(console, 'debug').mockImplementation(() => {
    throw new Error('this page broke console.debug')
  })
  const page = fakePage('file:///nonexistent-localrank-dir/lib/localrank.js')
  const seen = await unhandledWhile(async () => {
    await runLoader()
  })
  expect(seen).toEqual([])
  expect(debug).toHaveBeenCalled() // it did try to say why
  expect(page.appended).toHaveLength(1) // the anti-flicker CSS went in before the import
  // The command queue stub is installed and keeps calls.
  const lr = (globalThis as unknown as { window: { localrank: ((...a: unknown[]) => void) & { q?: unknown[] } } }).window.localrank
  lr('track', { type: 'view_item', items: [{ id: 'a' }] })
  expect(lr.q).toHaveLength(1)
})

it('defect 14: the synchronous failure path (no script tag found) does not throw either', async () => {
  vi.spyOn(console, 'debug').mockImplementation(() => {
    throw new Error('this page broke console.debug')
  })
  fakePage(null)
  await expect(runLoader()).resolves.toBeDefined()
})
