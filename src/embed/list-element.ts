import type { Engine } from '../engine/types'
import type { Candidate, RankResult } from '../rank/types'
import { candidateFromAttributes } from './items'
import { debug, ElementBase, engineSource, warn } from './source'

/**
 * `<localrank-list>`: reorders its children (each with `data-item-id`) by the shopper's
 * history, with no flash of the wrong order.
 *
 * ```html
 * <localrank-list deadline="800" limit="12">
 *   <article data-item-id="sku-1" data-lr-item='{"id":"sku-1","category":["lamps"]}'>…</article>
 *   …
 * </localrank-list>
 * ```
 *
 * - The server's order is the markup's order; `data-score` on a child is its server score.
 * - While ranking, the element is `visibility: hidden` (not `display: none`: the layout keeps
 *   its size, so nothing below it jumps). It is shown once ranked, or at the deadline
 *   (`deadline` attribute, ms, default 1000) in the server's order. After it has been shown
 *   it is never reordered again by that round: a late answer is dropped, because a list that
 *   reshuffles under the shopper's cursor is worse than an unpersonalised one.
 * - Before the script has loaded, the README's CSS keeps `localrank-list:not(:defined)`
 *   hidden for at most `REVEAL_MS` (a CSS animation reveals it even if no script ever runs).
 *   Elements upgraded after that moment are left in the server's order.
 * - `limit` (a whole number ≥ 0) hides the children beyond the first `limit`; a bad value
 *   (`"abc"`, `""`, `"-1"`) is ignored and logged: every child is shown (it used to hide every
 *   one, issue 13 #19). Hidden means out of the layout whatever the page's CSS says: the
 *   `hidden` attribute alone loses to any page rule that sets `display` (the demo's
 *   `.card { display: flex }` showed all 100 cards under "picked 24", #22), so a hidden child
 *   also gets an inline `display: none !important`, which no stylesheet rule outranks; the
 *   page's own inline `display`, if any, is put back when the child is shown again. Changing
 *   the attribute applies at once.
 * - Children the engine rejects (invalid id…) keep their relative order after the ranked ones;
 *   children without `data-item-id` stay where they are.
 * - Each item child gets `data-lr-rank`, `data-lr-server-rank`, `data-lr-explanation`; a
 *   descendant marked `[data-lr-explain]` gets the explanation as text.
 * - Fires `localrank:ranked` (bubbles) with `{ state, result }`; `state` is `ranked`,
 *   `timeout` or `late`. Replacing the children starts a new round.
 */
export const REVEAL_MS = 1500
export const DEFAULT_DEADLINE_MS = 1000
export type ListState = 'pending' | 'ranked' | 'timeout' | 'late'

/**
 * A count attribute (`<localrank-list limit>`, `<localrank-controls interests events>`): a
 * whole number ≥ 0, or null when absent or anything else, which the caller ignores (its
 * default), never reads as 0: `Number("abc") < i` is false for every i, so a typo in `limit`
 * used to hide the whole list.
 */
export function parseLimit(raw: string | null): number | null {
  if (raw === null) return null
  const s = raw.trim()
  return /^\d+$/.test(s) ? Number(s) : null
}

/** The page's own inline `display` of each child this element hid, to put back when shown. */
const ownDisplay = new WeakMap<HTMLElement, readonly [value: string, priority: string]>()

function hideChild(el: HTMLElement): void {
  if (!ownDisplay.has(el)) ownDisplay.set(el, [el.style.getPropertyValue('display'), el.style.getPropertyPriority('display')])
  el.setAttribute('hidden', '')
  el.style.setProperty('display', 'none', 'important')
}

function showChild(el: HTMLElement): void {
  const own = ownDisplay.get(el)
  if (!own) return // never hidden by us: a page's own `hidden` stays the page's
  ownDisplay.delete(el)
  el.removeAttribute('hidden')
  if (own[0]) el.style.setProperty('display', own[0], own[1])
  else el.style.removeProperty('display')
  if (el.getAttribute('style') === '') el.removeAttribute('style')
}

let upgrading = false
/** Define the element; elements already in the page are upgraded now (and know it). */
export function defineListElement(registry: CustomElementRegistry = customElements): void {
  if (registry.get('localrank-list')) return
  upgrading = true
  try {
    registry.define('localrank-list', LocalRankList)
  } finally {
    upgrading = false
  }
}

export class LocalRankList extends ElementBase {
  /** Set to use this engine instead of the page's shared one (`track` records impressions). */
  engine: (Pick<Engine, 'rerank'> & Partial<Pick<Engine, 'track'>>) | null = null
  /** The last answer (null until ranked). */
  result: RankResult<Candidate> | null = null
  #round = 0
  #state: ListState = 'pending'
  #moving = false
  #mo: MutationObserver | null = null
  #timer: ReturnType<typeof setTimeout> | undefined
  #upgraded = upgrading
  #warnedLimit: string | null = null
  // Impressions (issue 15 #3): children seen on screen, once each while the list is in the page.
  #io: IntersectionObserver | null = null
  #seen = new Set<string>()
  #shown: string[] = []
  #flushTimer: ReturnType<typeof setTimeout> | undefined

  static observedAttributes = ['limit']

  get state(): ListState {
    return this.#state
  }

  attributeChangedCallback(name: string, before: string | null, after: string | null): void {
    // Re-cut the order on screen (the ranked one once ranked); the initial value is applied
    // by the first round.
    try {
      if (name === 'limit' && before !== after && this.isConnected) this.#applyLimit(this.#items())
    } catch (err) {
      debug('localrank-list: applying the limit failed', err) // a callback's throw would reach the page
    }
  }

  connectedCallback(): void {
    try {
      this.#mo ??= new MutationObserver(() => {
        if (this.#moving) return
        this.refresh()
      })
      this.#mo.observe(this, { childList: true })
      // An element that was already in the page when the script arrived late has been shown
      // by the CSS fallback: reordering it now would be exactly the flash we promise not to make.
      if (this.#upgraded && performance.now() > REVEAL_MS) {
        this.#upgraded = false
        this.#applyLimit(this.#items())
        this.#finish('late', null)
        return
      }
      this.refresh()
    } catch (err) {
      debug('localrank-list', err)
      this.#reveal()
    }
  }

  disconnectedCallback(): void {
    this.#mo?.disconnect()
    clearTimeout(this.#timer)
    this.#round++
    this.#io?.disconnect()
    this.#io = null
    this.#flush()
    this.#seen.clear()
  }

  /**
   * Impressions (issue 15 #3): once the order is final, each child that is at least half on
   * screen counts as shown, once while the list is in the page (a re-rank after new children
   * does not count the old ones again). They are sent as one `view_item_list` event of ids
   * only, a second after the last one seen (a scroll shows several). `impressions="off"` on
   * the list turns it off; the engine's `impressions: false` ignores them in the ranking.
   */
  #watch(): void {
    if (this.getAttribute('impressions') === 'off' || typeof IntersectionObserver === 'undefined') return
    this.#io?.disconnect()
    const io = (this.#io = new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          if (!e.isIntersecting || e.intersectionRatio < 0.5) continue
          io.unobserve(e.target)
          const id = e.target.getAttribute('data-item-id')?.trim()
          if (!id || this.#seen.has(id)) continue
          this.#seen.add(id)
          this.#shown.push(id)
        }
        clearTimeout(this.#flushTimer)
        if (this.#shown.length > 0) this.#flushTimer = setTimeout(() => this.#flush(), 1000)
      },
      { threshold: 0.5 },
    ))
    for (const el of this.#items()) if (!this.#seen.has(el.getAttribute('data-item-id')!.trim())) io.observe(el)
  }

  #flush(): void {
    clearTimeout(this.#flushTimer)
    if (this.#shown.length === 0) return
    const ids = this.#shown.splice(0, this.#shown.length)
    void (async () => {
      try {
        const engine = this.engine ?? (await engineSource())
        for (let i = 0; i < ids.length; i += 100) await engine.track?.({ type: 'view_item_list', items: ids.slice(i, i + 100).map((id) => ({ id })) })
      } catch (err) {
        debug('localrank-list: impressions not recorded', err)
      }
    })()
  }

  /** Rank the current children again (called on its own when they change). */
  refresh(): void {
    const round = ++this.#round
    clearTimeout(this.#timer)
    this.#state = 'pending'
    this.setAttribute('data-lr-state', 'pending')
    this.style.visibility = 'hidden'
    const items = this.#items()
    this.#applyLimit(items)
    let budget = Number(this.getAttribute('deadline') ?? DEFAULT_DEADLINE_MS)
    if (!Number.isFinite(budget) || budget < 0) budget = DEFAULT_DEADLINE_MS
    if (this.#upgraded) budget = Math.min(budget, Math.max(0, REVEAL_MS - performance.now()))
    this.#upgraded = false
    this.#timer = setTimeout(() => round === this.#round && this.#state === 'pending' && this.#finish('timeout', null), budget)
    void this.#rank(round, items)
  }

  async #rank(round: number, items: HTMLElement[]): Promise<void> {
    try {
      const candidates: Candidate[] = []
      for (const el of items) {
        const c = candidateFromAttributes((n) => el.getAttribute(n))
        if (c) candidates.push(c)
      }
      const engine = this.engine ?? (await engineSource())
      if (round !== this.#round || this.#state !== 'pending') return
      const result = await engine.rerank(candidates, { explain: true })
      if (round !== this.#round || this.#state !== 'pending') return
      this.#apply(items, result)
      this.#finish('ranked', result)
    } catch (err) {
      debug('localrank-list: ranking failed, keeping the server order', err)
      if (round === this.#round && this.#state === 'pending') this.#finish('timeout', null)
    }
  }

  #items(): HTMLElement[] {
    return Array.from(this.children).filter((c): c is HTMLElement => c instanceof HTMLElement && c.hasAttribute('data-item-id'))
  }

  #applyLimit(ordered: HTMLElement[]): void {
    const raw = this.getAttribute('limit')
    const parsed = parseLimit(raw)
    if (raw !== null && parsed === null && raw !== this.#warnedLimit) {
      this.#warnedLimit = raw // once per value, not once per round
      // A mistake in the shop's markup: a warning, as for the script tag's attributes (source.ts `warn`).
      warn(`localrank-list: limit="${raw}" is not a whole number ≥ 0; it is ignored and every item is shown`)
    }
    const limit = parsed ?? Infinity
    ordered.forEach((el, i) => (i < limit ? showChild(el) : hideChild(el)))
  }

  #apply(items: HTMLElement[], result: RankResult<Candidate>): void {
    const byId = new Map<string, HTMLElement>()
    for (const el of items) if (!byId.has(el.getAttribute('data-item-id')!.trim())) byId.set(el.getAttribute('data-item-id')!.trim(), el)
    const ordered: HTMLElement[] = []
    result.items.forEach((r, i) => {
      const el = byId.get(r.id)
      if (!el) return
      byId.delete(r.id)
      ordered.push(el)
      el.setAttribute('data-lr-rank', String(i))
      el.setAttribute('data-lr-server-rank', String(r.serverRank))
      const text = r.explanation.map((e) => e.text).join(' · ')
      el.setAttribute('data-lr-explanation', text)
      const slot = el.querySelector('[data-lr-explain]')
      if (slot) slot.textContent = text // text, never HTML: explanations quote item titles
    })
    for (const el of items) if (!ordered.includes(el)) ordered.push(el) // rejected or duplicate ids, in server order
    // Move only the item children, into the slots the items held, so other children stay put.
    this.#moving = true
    try {
      const marks = items.map((el) => {
        const m = document.createComment('')
        el.replaceWith(m)
        return m
      })
      marks.forEach((m, i) => m.replaceWith(ordered[i]!))
      this.#mo?.takeRecords()
    } finally {
      this.#moving = false
    }
    this.#applyLimit(ordered)
  }

  #finish(state: Exclude<ListState, 'pending'>, result: RankResult<Candidate> | null): void {
    clearTimeout(this.#timer)
    this.#state = state
    this.result = result
    this.setAttribute('data-lr-state', state)
    if (result) this.setAttribute('data-lr-path', result.path)
    this.#reveal()
    try {
      this.#watch()
    } catch (err) {
      debug('localrank-list: impressions off', err)
    }
    try {
      this.dispatchEvent(new CustomEvent('localrank:ranked', { bubbles: true, composed: true, detail: { state, result } }))
    } catch (err) {
      debug('localrank:ranked listener threw', err)
    }
  }

  #reveal(): void {
    this.style.visibility = ''
    if (this.getAttribute('style') === '') this.removeAttribute('style')
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'localrank-list': LocalRankList
  }
}
