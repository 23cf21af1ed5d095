import { EVENT_TYPES, type EventType, type TrackInput } from '../events/types'
import { itemFromAttributes } from './items'

/**
 * Declarative tracking: events from markup, so a shop can personalise without writing JS.
 *
 * - `[data-lr-item]` marks an item (see `itemFromAttributes` for the formats).
 * - **view_item** when the element is at least `threshold` (50%) visible for at least
 *   `dwellMs` (1 s) while the tab is visible, once per element per page. This is the IAB/MRC
 *   viewable-impression rule for display (50% of pixels for 1 continuous second), so a
 *   product merely scrolled past is not a view. `data-lr-view="off"` opts an element out (list
 *   cards, where a view would only echo what the server chose to show).
 * - **select_item** on a click on a link or button inside (or on) an item element.
 *   `data-lr-select="off"` opts out (a detail page's whole `<main>` marked as the item).
 * - **`data-lr-event="add_to_cart"`** (or any event type but `search`) on a button fires that
 *   event for the item it is in (or its own `data-lr-item`); it does not also fire select_item.
 * - **search** on submit of a `form[data-lr-search]`, with the value of its first
 *   `input[type=search]`, `input[name=q]` or `input` as the query.
 *
 * Elements added later are picked up (MutationObserver). Everything is wrapped: a malformed
 * attribute is reported to `onError` and never throws into the page.
 */
export interface DomTrackingOptions {
  track: (event: TrackInput) => unknown
  onError?: (err: unknown) => void
  root?: Document
  threshold?: number
  dwellMs?: number
}

const ITEM = '[data-lr-item]'
const INTERACTIVE = 'a[href],button,[role="button"],[role="link"],input[type="submit"],input[type="button"]'

export function startDomTracking(opts: DomTrackingOptions): () => void {
  const doc = opts.root ?? document
  const threshold = opts.threshold ?? 0.5
  const dwellMs = opts.dwellMs ?? 1000
  const fail = (err: unknown) => {
    try {
      opts.onError?.(err)
    } catch {
      /* ignore */
    }
  }
  const send = (event: TrackInput) => {
    try {
      const r = opts.track(event) as Promise<unknown> | undefined
      if (r && typeof r.catch === 'function') r.catch(fail)
    } catch (err) {
      fail(err)
    }
  }
  const itemOf = (el: Element) => itemFromAttributes((n) => el.getAttribute(n))

  // --- view_item: 50% visible for 1 s --------------------------------------------------
  const seen = new WeakSet<Element>()
  const timers = new Map<Element, ReturnType<typeof setTimeout>>()
  const visibleNow = new Set<Element>()
  const arm = (el: Element) => {
    if (timers.has(el) || seen.has(el) || doc.visibilityState === 'hidden') return
    timers.set(
      el,
      setTimeout(() => {
        timers.delete(el)
        if (!visibleNow.has(el) || seen.has(el) || doc.visibilityState === 'hidden') return
        const item = itemOf(el)
        if (!item) return fail(new Error(`data-lr-item on <${el.tagName.toLowerCase()}> has no usable id`))
        seen.add(el)
        io?.unobserve(el)
        visibleNow.delete(el)
        send({ type: 'view_item', items: [item] })
      }, dwellMs),
    )
  }
  const disarm = (el: Element) => {
    const t = timers.get(el)
    if (t !== undefined) clearTimeout(t)
    timers.delete(el)
  }
  const io =
    typeof IntersectionObserver === 'function'
      ? new IntersectionObserver(
          (entries) => {
            for (const e of entries) {
              // ≥ threshold, with a hair of slack: Chromium reports 0.4999… for exactly half.
              if (e.isIntersecting && e.intersectionRatio >= threshold - 1e-3) {
                visibleNow.add(e.target)
                arm(e.target)
              } else {
                visibleNow.delete(e.target)
                disarm(e.target)
              }
            }
          },
          { threshold: [0, threshold] },
        )
      : null
  const onVisibility = () => {
    // A hidden tab is not a view: stop the clocks, restart them for what is still on screen.
    if (doc.visibilityState === 'hidden') for (const el of [...timers.keys()]) disarm(el)
    else for (const el of visibleNow) arm(el)
  }
  doc.addEventListener('visibilitychange', onVisibility)
  const watch = (el: Element) => {
    if (el.getAttribute('data-lr-view') === 'off' || seen.has(el)) return
    io?.observe(el)
  }
  const scan = (root: ParentNode) => {
    if (root instanceof Element && root.matches(ITEM)) watch(root)
    root.querySelectorAll(ITEM).forEach(watch)
  }
  const mo = new MutationObserver((records) => {
    try {
      for (const r of records) {
        if (r.type === 'attributes' && r.target instanceof Element) {
          // The element now describes another item (SPA re-render): a fresh view can count.
          seen.delete(r.target)
          disarm(r.target)
          if (r.target.matches(ITEM)) watch(r.target)
          continue
        }
        r.addedNodes.forEach((n) => n instanceof Element && scan(n))
        r.removedNodes.forEach((n) => {
          if (!(n instanceof Element)) return
          const gone = n.matches(ITEM) ? [n, ...n.querySelectorAll(ITEM)] : [...n.querySelectorAll(ITEM)]
          for (const el of gone) {
            if (el.isConnected) continue
            disarm(el)
            visibleNow.delete(el)
            io?.unobserve(el)
          }
        })
      }
    } catch (err) {
      fail(err)
    }
  })
  const start = () => {
    scan(doc)
    mo.observe(doc.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-lr-item'] })
  }
  if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', start, { once: true })
  else start()

  // --- clicks: data-lr-event buttons, else select_item -----------------------------------
  const onClick = (ev: Event) => {
    try {
      const target = ev.target instanceof Element ? ev.target : null
      if (!target) return
      const button = target.closest('[data-lr-event]')
      if (button) {
        const type = button.getAttribute('data-lr-event') as EventType
        if (!(EVENT_TYPES as readonly string[]).includes(type) || type === 'search') {
          return fail(new Error(`data-lr-event="${type}" is not one of ${EVENT_TYPES.filter((t) => t !== 'search').join(', ')}`))
        }
        const holder = button.matches(ITEM) ? button : button.closest(ITEM)
        const item = holder && itemOf(holder)
        if (!item) return fail(new Error(`data-lr-event="${type}" is not inside a [data-lr-item]`))
        return send({ type, items: [item] })
      }
      const holder = target.closest(ITEM)
      if (!holder || holder.getAttribute('data-lr-select') === 'off') return
      const interactive = target.closest(INTERACTIVE)
      if (!interactive || !(interactive === holder || holder.contains(interactive))) return
      const item = itemOf(holder)
      if (item) send({ type: 'select_item', items: [item] })
    } catch (err) {
      fail(err)
    }
  }
  // Capture phase: a shop's own handler calling stopPropagation() must not hide the click.
  doc.addEventListener('click', onClick, true)

  // --- search forms ----------------------------------------------------------------------
  const onSubmit = (ev: Event) => {
    try {
      const form = ev.target instanceof HTMLFormElement ? ev.target : null
      if (!form?.hasAttribute('data-lr-search')) return
      const input = form.querySelector<HTMLInputElement>('input[type="search"],input[name="q"],input')
      const query = input?.value.trim()
      if (query) send({ type: 'search', query: query.slice(0, 512) })
    } catch (err) {
      fail(err)
    }
  }
  doc.addEventListener('submit', onSubmit, true)

  return () => {
    mo.disconnect()
    io?.disconnect()
    for (const el of [...timers.keys()]) disarm(el)
    doc.removeEventListener('click', onClick, true)
    doc.removeEventListener('submit', onSubmit, true)
    doc.removeEventListener('visibilitychange', onVisibility)
  }
}
