/**
 * The embed under a shop's Content-Security-Policy (issue 15 #5), from the built bundle in
 * Chromium. e2e/serve.ts sends the named policy on every response under /csp/NAME/ (page,
 * scripts, worker scripts, WASM, model), as a site-wide CSP does: a worker takes its policy from
 * its own response. `shop` is the README's policy; the others take one permission away and
 * check that LocalRank degrades as the README says, never throwing into the page.
 */
import { expect, test, type Page } from '@playwright/test'
import { requireBuild, requireModel } from './support'

test.beforeAll(() => {
  requireBuild()
  requireModel()
})

interface Info {
  backend: string | null
  backendReason: string
  model: { ready: boolean; error?: string } | null
  similarity: { ready: boolean; error?: string } | null
}
type LR = { loaded?: boolean; ready(): Promise<unknown>; info(): Info; track(e: unknown): Promise<unknown>; rerank(c: unknown, o?: unknown): Promise<{ path: string; reason?: string }> }

async function open(page: Page, policy: string) {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  const consoleErrors: string[] = []
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()))
  const res = await page.goto(`/csp/${policy}/fixtures/csp.html`)
  expect(res?.headers()['content-security-policy']).toContain("default-src 'self'")
  await page.waitForFunction(() => (window as unknown as { localrank: LR }).localrank.loaded === true)
  // The model settles one way or the other: ready, or an error that says why.
  await expect
    .poll(
      () =>
        page.evaluate(() => {
          const i = (window as unknown as { localrank: LR }).localrank.info()
          return [i.model, i.similarity].every((m) => !!m && (m.ready || !!m.error))
        }),
      { timeout: 90_000 },
    )
    .toBe(true)
  const result = await page.evaluate(async () => {
    const lr = (window as unknown as { localrank: LR }).localrank
    await lr.track({ type: 'view_item', items: [{ id: '1' }] })
    const r = await lr.rerank([{ id: '2' }, { id: '3' }, { id: '4' }], { deadlineMs: 20_000 })
    const list = document.getElementById('list')!
    return { info: lr.info(), path: r.path, reason: r.reason, listState: list.getAttribute('data-lr-state'), violations: (window as unknown as { __violations: string[] }).__violations }
  })
  return { ...result, errors, consoleErrors }
}

test("the README's policy: the encoder runs on WASM in its worker, no violation, no error", async ({ page }) => {
  const r = await open(page, 'shop')
  expect(r.violations).toEqual([])
  expect(r.errors).toEqual([])
  expect(r.info.model?.ready).toBe(true)
  expect(r.info.similarity?.ready).toBe(true)
  expect(r.info.backend).toBe('wasm')
  expect(r.path).toBe('encoder')
})

test("without 'wasm-unsafe-eval': the worker's WASM backend is refused, the encoder runs on CPU", async ({ page }) => {
  const r = await open(page, 'no-wasm')
  expect(r.errors).toEqual([])
  expect(r.info.model?.ready).toBe(true)
  expect(r.info.backend).toBe('cpu')
  expect(r.info.backendReason).toMatch(/WASM failed to initialise/)
  expect(r.path).toBe('encoder')
})

test("worker-src 'none': no encoder (model error says why), ranking degrades and the page is unharmed", async ({ page }) => {
  const r = await open(page, 'no-worker')
  expect(r.errors).toEqual([])
  expect(r.violations.some((v) => v.startsWith('worker-src'))).toBe(true)
  expect(r.info.model?.ready).toBe(false)
  expect(r.info.model?.error).toMatch(/worker/)
  expect(r.path).not.toBe('encoder')
  expect(r.listState).toBe('ranked')
})

test("require-trusted-types-for 'script': the workers start through the 'localrank' policy, the encoder runs", async ({ page }) => {
  const r = await open(page, 'tt')
  expect(r.violations).toEqual([])
  expect(r.errors).toEqual([])
  expect(r.info.model?.error).toBeUndefined()
  expect(r.info.model?.ready).toBe(true)
  // The similarity table's worker goes through the same policy.
  expect(r.info.similarity).toEqual(expect.objectContaining({ ready: true }))
  expect(r.consoleErrors.filter((e) => /Trusted|TrustedScriptURL/.test(e))).toEqual([])
  expect(r.info.backend).toBe('wasm')
  expect(r.path).toBe('encoder')
})
