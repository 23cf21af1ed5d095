import type { Engine } from '../engine/types'
import type { StoredEvent } from '../events/types'
import type { Interest } from '../interest/types'
import { debug, ElementBase, engineSource } from './source'
import { parseLimit } from './list-element'

/**
 * `<localrank-controls>`: the shopper's view of, and control over, their on-device history,
 * for a shop's privacy page. `<localrank-controls interests="8" events="20"></localrank-controls>`
 *
 * - Top interests with a bar for each one's current decayed weight (relative to the strongest),
 *   exposed as `role="meter"` so screen readers announce the value.
 * - Recent events, newest first; forget one event, or everything about one item.
 * - Block a category (it is never boosted again) and unblock it; pause; clear everything
 *   (a second, explicit confirmation button, never `window.confirm`, which screen readers and
 *   some embedded browsers handle badly); export as JSON (a file download).
 * - Every control is a real `<button>` with a visible label and, where the visible label is
 *   short ("Forget"), an `aria-label` naming its object. Status changes are announced through
 *   a polite live region. After a row disappears, focus moves to the next row's button (or the
 *   list's heading), so a keyboard user is never dropped back to the top of the page.
 * - All shop and history text is inserted with `textContent`: titles can never become markup.
 * - Rows of a list share their columns (CSS subgrid): with a grid per row, a row without a
 *   button gave its bar the button's width and the bars no longer lined up (issue 15 #7).
 * - A blocked category stays where it was in the interests list, shown as blocked (no bar, no
 *   Block) with its Unblock button: the profile no longer learns from it, so it would otherwise
 *   vanish from the list and reappear only in a section below the fold (issue 15 #7).
 * - Re-renders on history changes in this tab and others (`engine.on('change')`) and once a
 *   minute, because the weights decay with time even when nothing happens.
 */
const STYLE = `
:host{display:block;font:inherit;color:inherit;--lr-accent:#2563eb;--lr-muted:#6b7280;--lr-bar:#e5e7eb}
section{display:grid;gap:.75rem}
h2,h3{margin:.25rem 0;font-size:1.1em}
h3{font-size:1em}
ul,ol{list-style:none;margin:0;padding:0;display:grid;gap:.35rem}
ul{grid-template-columns:minmax(8rem,1fr) minmax(6rem,2fr) auto;column-gap:.5rem}
ol{grid-template-columns:auto 1fr auto auto;column-gap:.5rem}
li{display:grid;grid-column:1/-1;grid-template-columns:subgrid;align-items:center}
.blocked-note{color:var(--lr-muted);font-size:.85em;font-style:italic}
.kind,.when,.empty{color:var(--lr-muted);font-size:.85em}
.bar{height:.6rem;border-radius:.3rem;background:var(--lr-bar);overflow:hidden}
.bar>span{display:block;height:100%;background:var(--lr-accent)}
.toolbar{display:flex;flex-wrap:wrap;gap:.5rem}
button{font:inherit;padding:.3rem .7rem;border-radius:.4rem;border:1px solid #9ca3af;background:#fff;color:#111;cursor:pointer}
button:hover{background:#f3f4f6}
button:focus-visible{outline:3px solid var(--lr-accent);outline-offset:2px}
button.danger{border-color:#b91c1c;color:#b91c1c}
button[aria-pressed="true"]{background:#111;color:#fff}
.status{min-height:1.2em;margin:0}
.label{overflow-wrap:anywhere}
`

const VERB: Record<StoredEvent['type'], string> = {
  view_item: 'Viewed',
  select_item: 'Opened',
  add_to_cart: 'Added to cart',
  remove_from_cart: 'Removed from cart',
  add_to_wishlist: 'Wished for',
  begin_checkout: 'Checked out',
  purchase: 'Bought',
  search: 'Searched for',
  view_item_list: 'Shown in a list:',
}

const KIND: Record<Interest['kind'], string> = { item: 'item', category: 'category', tag: 'tag', brand: 'brand', price: 'price band', query: 'search word' }

type ControlsEngine = Pick<Engine, 'interests' | 'history' | 'forget' | 'forgetEvent' | 'blockCategory' | 'unblockCategory' | 'pause' | 'clear' | 'export' | 'meta' | 'info' | 'on'>

export function defineControlsElement(registry: CustomElementRegistry = customElements): void {
  if (!registry.get('localrank-controls')) registry.define('localrank-controls', LocalRankControls)
}

function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string> = {}, ...kids: Array<Node | string>): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') el.textContent = v
    else el.setAttribute(k, v)
  }
  for (const k of kids) el.append(k) // strings become text nodes
  return el
}

/** A category key `a>b>c` (see interest/features.ts) for people: `a › b › c`. */
export function categoryLabel(key: string): string {
  return key
    .split(/(?<!\\)>/)
    .map((s) => s.replace(/\\(.)/g, '$1'))
    .join(' › ')
}

export class LocalRankControls extends ElementBase {
  engine: ControlsEngine | null = null
  #root: ShadowRoot
  #status: HTMLElement
  #body: HTMLElement
  #off: (() => void) | null = null
  #tick: ReturnType<typeof setInterval> | undefined
  #confirming = false
  #busy = false
  #again = false
  /** The interest rows of the last render, in order: a category blocked since keeps its place. */
  #rows: Array<{ kind: Interest['kind']; key: string }> = []

  constructor() {
    super()
    this.#root = this.attachShadow({ mode: 'open' })
    const style = document.createElement('style')
    style.textContent = STYLE
    this.#status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' })
    this.#body = h('div')
    const title = this.getAttribute('heading') ?? 'Your personalisation on this device'
    this.#root.append(style, h('section', { 'aria-labelledby': 'lr-title' }, h('h2', { id: 'lr-title', text: title, tabindex: '-1' }), this.#status, this.#body))
  }

  connectedCallback(): void {
    void this.#attach()
    this.#tick = setInterval(() => void this.render(), 60_000)
  }

  disconnectedCallback(): void {
    this.#off?.()
    this.#off = null
    clearInterval(this.#tick)
  }

  async #engine(): Promise<ControlsEngine> {
    return this.engine ?? (await engineSource())
  }

  async #attach(): Promise<void> {
    try {
      const engine = await this.#engine()
      this.#off?.()
      this.#off = engine.on('change', () => void this.render())
      await this.render()
    } catch (err) {
      debug('localrank-controls', err)
    }
  }

  announce(text: string): void {
    this.#status.textContent = text
  }

  /** Re-read the engine and redraw, keeping keyboard focus on the equivalent control. */
  async render(): Promise<void> {
    if (this.#busy) {
      this.#again = true
      return
    }
    this.#busy = true
    try {
      const engine = await this.#engine()
      // Whole numbers ≥ 0, else the defaults: `Number("abc")` showed no interests at all.
      const nInterests = parseLimit(this.getAttribute('interests')) ?? 8
      const nEvents = parseLimit(this.getAttribute('events')) ?? 20
      const [interests, history, meta] = await Promise.all([engine.interests(nInterests), engine.history(nEvents), engine.meta()])
      const info = engine.info()
      const focused = this.#root.activeElement as HTMLElement | null
      const focusKey = focused?.dataset['focus']
      const focusIndex = focused ? Number(focused.dataset['index'] ?? -1) : -1
      const focusList = focused?.dataset['list']
      this.#body.replaceChildren(this.#toolbar(!!meta.paused, info), ...this.#interests(interests, history, meta.blockedCategories ?? []), ...this.#events(history))
      if (focused) this.#refocus(focusKey, focusList, focusIndex)
    } catch (err) {
      debug('localrank-controls render', err)
    } finally {
      this.#busy = false
      if (this.#again) {
        this.#again = false
        void this.render()
      }
    }
  }

  #refocus(key: string | undefined, list: string | undefined, index: number): void {
    const q = (sel: string) => this.#root.querySelector<HTMLElement>(sel)
    const same = key ? q(`[data-focus="${CSS.escape(key)}"]`) : null
    const rows = list ? this.#root.querySelectorAll<HTMLElement>(`[data-list="${CSS.escape(list)}"]`) : null
    const target = same ?? (rows ? rows[Math.min(index, rows.length - 1)] : null) ?? (list ? q(`#lr-${list}`) : null) ?? q('#lr-title')
    target?.focus()
  }

  #button(label: string, onClick: () => Promise<unknown>, props: Record<string, string> = {}): HTMLButtonElement {
    const b = h('button', { type: 'button', ...props, text: label })
    b.addEventListener('click', () => {
      void (async () => {
        try {
          await onClick()
        } catch (err) {
          this.announce('That did not work; please try again.')
          debug('localrank-controls action', err)
        }
        await this.render()
      })()
    })
    return b
  }

  #toolbar(paused: boolean, info: ReturnType<ControlsEngine['info']>): HTMLElement {
    const state = info.gpc
      ? 'Off: your browser sends Global Privacy Control, so nothing is stored.'
      : info.consent === 'denied'
        ? 'Off: you have not consented to personalisation, so nothing is stored.'
        : info.consent === 'pending'
          ? 'Waiting for your consent choice: nothing is saved yet.'
          : paused
            ? 'Paused: nothing new is recorded and the shop’s own order is shown.'
            : `On. History is kept only in this browser (${info.storage === 'indexeddb' ? 'IndexedDB' : 'memory, for this page only'}) and is never sent to the shop.`
    const engine = () => this.#engine()
    const bar = h('div', { class: 'toolbar' })
    bar.append(
      this.#button(
        paused ? 'Resume personalisation' : 'Pause personalisation',
        async () => {
          await (await engine()).pause(!paused)
          this.announce(paused ? 'Personalisation resumed.' : 'Personalisation paused.')
        },
        { 'aria-pressed': String(paused), 'data-focus': 'pause' },
      ),
      this.#button(
        'Export my data (JSON)',
        async () => {
          const dump = await (await engine()).export()
          const url = URL.createObjectURL(new Blob([JSON.stringify(dump, null, 2)], { type: 'application/json' }))
          const a = h('a', { href: url, download: 'localrank-history.json' })
          a.style.display = 'none'
          this.#root.append(a)
          a.click()
          a.remove()
          setTimeout(() => URL.revokeObjectURL(url), 10_000)
          this.announce(`Exported ${dump.events.length} events.`)
        },
        { 'data-focus': 'export' },
      ),
    )
    if (!this.#confirming) {
      bar.append(
        this.#button(
          'Clear everything…',
          async () => {
            this.#confirming = true
          },
          { class: 'danger', 'data-focus': 'clear', 'aria-haspopup': 'false' },
        ),
      )
    } else {
      bar.append(
        this.#button(
          'Yes, delete all my history',
          async () => {
            this.#confirming = false
            await (await engine()).clear()
            this.announce('All history on this device was deleted.')
          },
          { class: 'danger', 'data-focus': 'clear-confirm' },
        ),
        this.#button(
          'Cancel',
          async () => {
            this.#confirming = false
          },
          { 'data-focus': 'clear-cancel' },
        ),
      )
      queueMicrotask(() => this.#root.querySelector<HTMLElement>('[data-focus="clear-confirm"]')?.focus())
    }
    return h('div', {}, h('p', { class: 'state', text: state }), bar)
  }

  #interests(list: Interest[], history: StoredEvent[], blocked: string[]): Node[] {
    const heading = h('h3', { id: 'lr-interests', tabindex: '-1', text: 'What this shop thinks you like' })
    // Rows: the interests, plus every blocked category at the place it had in the last render
    // (or at the end when it was never shown here).
    type Row = { kind: Interest['kind']; key: string; interest?: Interest }
    const rows: Row[] = list.filter((it) => !(it.kind === 'category' && blocked.includes(it.key))).map((it) => ({ kind: it.kind, key: it.key, interest: it }))
    for (const key of blocked) {
      const was = this.#rows.findIndex((r) => r.kind === 'category' && r.key === key)
      rows.splice(was >= 0 ? Math.min(was, rows.length) : rows.length, 0, { kind: 'category', key })
    }
    this.#rows = rows.map(({ kind, key }) => ({ kind, key }))
    if (rows.length === 0) return [heading, h('p', { class: 'empty', text: 'No interests yet.' })]
    const titles = new Map<string, string>()
    for (const e of history) for (const it of e.items) if (it.title) titles.set(it.id, it.title)
    const max = Math.max(...list.map((i) => i.weight), 1e-9)
    const ul = h('ul', { 'aria-labelledby': 'lr-interests' })
    rows.forEach((row, index) => {
      const it = row.interest
      const label = row.kind === 'category' ? categoryLabel(row.key) : row.kind === 'item' ? (titles.get(row.key) ?? row.key) : row.key
      const name = h('span', {}, h('span', { class: 'label', text: label }), ' ', h('span', { class: 'kind', text: `(${KIND[row.kind]})` }))
      const common = { 'data-list': 'interests', 'data-index': String(index) }
      if (!it) {
        const unblock = this.#button(
          'Unblock',
          async () => {
            await (await this.#engine()).unblockCategory(row.key)
            this.announce(`${label} can be boosted again.`)
          },
          { ...common, 'data-focus': `unblock:${row.key}`, 'aria-label': `Unblock category ${label}` },
        )
        ul.append(h('li', { 'data-kind': row.kind, 'data-key': row.key, 'data-blocked': '' }, name, h('span', { class: 'blocked-note', text: 'Blocked: never boosted' }), unblock))
        return
      }
      const pct = Math.max(0, Math.min(100, Math.round((it.weight / max) * 100)))
      const bar = h(
        'div',
        { class: 'bar', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(pct), 'aria-label': `${label}: ${pct}% of your strongest interest` },
        h('span'),
      )
      ;(bar.firstElementChild as HTMLElement).style.width = `${pct}%`
      let action: HTMLElement = h('span')
      if (it.kind === 'category') {
        action = this.#button(
          'Block',
          async () => {
            await (await this.#engine()).blockCategory(it.key)
            this.announce(`${label} will not be boosted any more.`)
          },
          { ...common, 'data-focus': `block:${it.key}`, 'aria-label': `Block category ${label}: never boost it again` },
        )
      } else if (it.kind === 'item') {
        action = this.#button(
          'Forget',
          async () => {
            const n = await (await this.#engine()).forget(it.key)
            this.announce(`Forgot ${label} (${n} events).`)
          },
          { ...common, 'data-focus': `forget-item:${it.key}`, 'aria-label': `Forget everything about ${label}` },
        )
      }
      ul.append(h('li', { 'data-kind': it.kind, 'data-key': it.key }, name, bar, action))
    })
    return [heading, ul]
  }

  #events(history: StoredEvent[]): Node[] {
    const heading = h('h3', { id: 'lr-events', tabindex: '-1', text: 'Recent activity' })
    if (history.length === 0) return [heading, h('p', { class: 'empty', text: 'Nothing recorded.' })]
    const ol = h('ol', { 'aria-labelledby': 'lr-events', reversed: '' })
    history
      .slice()
      .reverse()
      .forEach((e, index) => {
        const what = e.type === 'search' ? `“${e.query ?? ''}”` : e.items.map((i) => i.title ?? i.id).join(', ')
        // A date outside Date's range (|t| > 8.64e15 ms) makes toISOString throw, which used to
        // leave the controls without a single button (issue 13 #10): show it as unknown instead.
        const d = new Date(e.timestamp)
        const time = Number.isFinite(d.getTime()) ? h('time', { class: 'when', datetime: d.toISOString(), text: d.toLocaleString() }) : h('time', { class: 'when', text: 'unknown time' })
        const desc = `${VERB[e.type]} ${what}`
        const row = h('li', { class: 'event', 'data-event-id': e.id }, time, h('span', { class: 'label', text: desc }))
        row.append(
          this.#button(
            'Forget',
            async () => {
              await (await this.#engine()).forgetEvent(e.id)
              this.announce(`Forgot: ${desc}.`)
            },
            { 'data-list': 'events', 'data-index': String(index), 'data-focus': `event:${e.id}`, 'aria-label': `Forget this event: ${desc}` },
          ),
        )
        const first = e.items[0]
        if (first) {
          const name = first.title ?? first.id
          row.append(
            this.#button(
              'Forget item',
              async () => {
                const n = await (await this.#engine()).forget(first.id)
                this.announce(`Forgot ${name} (${n} events).`)
              },
              { 'data-focus': `item:${e.id}`, 'aria-label': `Forget everything about ${name}` },
            ),
          )
        } else row.append(h('span'))
        ol.append(row)
      })
    return [heading, ol]
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'localrank-controls': LocalRankControls
  }
}
