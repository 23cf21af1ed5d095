/**
 * 1. A scripted shopper browses one genre, reloads, and the reranked home list favours that
 *    genre, with explanations. Runs the built demo (dist/) in real Chromium.
 */
import { expect, test } from '@playwright/test'
import { browseGenre, demoReady, listSettled, nav, requireBuild, shownCards } from './support'

test.beforeAll(requireBuild)
const GENRE = 'Comedy'

test('a shopper who browses Comedy sees more Comedy, explained, after a reload', async ({ page }) => {
  // Comedy-first movies: their category path starts at "Comedy", the level a genre interest lives on.
  const opened = await browseGenre(page, 'comedy', (c) => c.genres[0] === 'Comedy', 4)

  await page.reload()
  await demoReady(page)
  await nav(page, '#/')
  expect(await listSettled(page)).toBe('ranked')
  const path = await page.locator('localrank-list').getAttribute('data-lr-path')
  expect(['profile', 'encoder']).toContain(path)

  const shown = await shownCards(page)
  expect(shown).toHaveLength(24)
  const inGenre = (cs: typeof shown) => cs.filter((c) => c.genres.includes(GENRE)).length
  // The server's own top 24 (what an anonymous shopper sees) for comparison.
  const server = await page.locator('localrank-list').evaluate((list) =>
    Array.from(list.children)
      .map((c) => ({
        r: Number(c.getAttribute('data-lr-server-rank')),
        genres: ((i: { tags?: string[]; category?: string[] }) => i.tags ?? i.category ?? [])(JSON.parse(c.getAttribute('data-lr-item')!)),
      }))
      .sort((a, b) => a.r - b.r)
      .slice(0, 24),
  )
  const serverInGenre = server.filter((c) => c.genres.includes(GENRE)).length
  console.log(`[shopper] opened ${opened.join(', ')}; Comedy in top 24: server ${serverInGenre}, LocalRank ${inGenre(shown)}; path ${path}`)
  expect(inGenre(shown)).toBeGreaterThan(serverInGenre)
  // The top of the list is Comedy, and the boosted items say why.
  expect(inGenre(shown.slice(0, 6))).toBeGreaterThanOrEqual(3)
  const lifted = shown.filter((c, i) => c.genres.includes(GENRE) && c.serverRank > i)
  expect(lifted.length).toBeGreaterThan(0)
  for (const c of lifted) expect(c.explanation, `explanation for ${c.title}`).not.toBe('')
  expect(lifted.some((c) => /comedy/i.test(c.explanation))).toBe(true)
  // The explanation is also rendered in the card, as text.
  const first = lifted[0]!
  await expect(page.locator(`localrank-list [data-item-id="${first.id}"] .why`)).toHaveText(first.explanation)
  // The side panel shows the comparison with arrows.
  await expect(page.locator('#panel .order.mine li').first()).toBeVisible()
  await expect(page.locator('#panel .order.mine .up').first()).toBeVisible()
})
