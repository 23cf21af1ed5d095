import type { Engine, LoadProgress } from '../engine/types'
import type { Candidate, RankResult } from '../rank/types'
import { InterestChart, profileSeries } from './chart'
import { h } from './dom'

/**
 * The side panel: what LocalRank is doing, for people evaluating it.
 * - the backend in use and why, storage, consent, and model-load progress (the LoadProgress
 *   union, one row per file);
 * - the last ranking: path, reason, timings;
 * - the server's order beside LocalRank's, with an arrow for each move and each item's
 *   explanation;
 * - the interest profile over time (chart.ts).
 */
const PATH_TEXT: Record<RankResult['path'], string> = {
  encoder: 'encoder + profile',
  profile: 'decay profile',
  server: 'server order',
}

export class Panel {
  readonly el: HTMLElement
  #engine: Engine | null = null
  #info = h('dl', { class: 'kv' })
  #files = new Map<string, HTMLElement>()
  #progress = h('div', { class: 'progress-list', 'aria-live': 'polite' })
  #rank = h('div', { class: 'rank-summary' }, h('p', { class: 'muted', text: 'No list ranked yet.' }))
  #compare = h('div', { class: 'compare' })
  #chart = new InterestChart()
  #error = h('p', { class: 'error', role: 'alert', hidden: true })
  #horizon = h('select', { id: 'lr-horizon', 'aria-label': 'Projection into the future' })

  constructor() {
    this.el = h(
      'div',
      { class: 'panel-inner' },
      h('h2', { text: 'Inside LocalRank' }),
      h('section', {}, h('h3', { text: 'Engine' }), this.#info, this.#progress, this.#error),
      h('section', {}, h('h3', { text: 'Last ranking' }), this.#rank),
      h('section', {}, h('h3', { text: 'Server order → your order' }), this.#compare),
      h(
        'section',
        {},
        h('h3', { text: 'Your interest profile over time' }),
        h('p', { class: 'muted' }, 'Decayed event weight behind your broadest genres, replayed from your history and projected ', this.#horizon, ' with no new activity.'),
        this.#chart.el,
      ),
    )
    for (const [ms, label] of [
      [3600e3, 'an hour ahead'],
      [86400e3, 'a day ahead'],
      [30 * 86400e3, '30 days ahead'],
      [365 * 86400e3, 'a year ahead'],
    ] as const) {
      this.#horizon.append(h('option', { value: ms, text: label, selected: ms === 86400e3 }))
    }
    this.#horizon.addEventListener('change', () => void this.refresh())
  }

  attach(engine: Engine): void {
    this.#engine = engine
    // Debounced: 'change' fires when the store commits, a moment before the engine's own
    // in-memory history includes the event.
    let timer: ReturnType<typeof setTimeout> | undefined
    engine.on('change', () => {
      clearTimeout(timer)
      timer = setTimeout(() => void this.refresh(), 100)
    })
    void this.refresh()
    setInterval(() => this.#renderInfo(), 1000)
    setInterval(() => void this.refresh(), 30_000)
  }

  progress(p: LoadProgress): void {
    if (p.status === 'ready') {
      this.#progress.append(h('p', { class: 'ok', text: `Model ready on ${p.backend}: ${p.reason}` }))
      this.#renderInfo()
      return
    }
    if (p.status === 'error') {
      this.error(p.error)
      return
    }
    let row = this.#files.get(p.file)
    if (!row) {
      row = h('div', { class: 'file' }, h('span', { class: 'name', text: p.file.split('/').pop() ?? p.file }), h('progress', { max: 1, value: 0 }), h('span', { class: 'status' }))
      this.#files.set(p.file, row)
      this.#progress.append(row)
    }
    const bar = row.querySelector('progress')!
    const status = row.querySelector('.status')!
    if (p.status === 'progress') {
      bar.value = p.total > 0 ? p.loaded / p.total : p.progress / 100
      status.textContent = p.total > 0 ? `${Math.round(p.loaded / 1024)} / ${Math.round(p.total / 1024)} KB` : `${Math.round(p.progress)}%`
    } else if (p.status === 'done') {
      bar.value = 1
      status.textContent = 'done'
    } else status.textContent = p.status
  }

  error(err: unknown): void {
    this.#error.hidden = false
    this.#error.textContent = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  }

  #renderInfo(): void {
    if (!this.#engine) return
    const i = this.#engine.info()
    // With consent off (or GPC) the encoder is never started: saying "loading" beside the
    // engine's "encoder not started" contradicted it (issue 15 #7).
    const off = i.gpc || i.consent === 'denied'
    const rows: Array<[string, string]> = [
      ['Backend', i.backend ?? (i.model ? (off ? 'none (personalisation is off)' : 'loading…') : 'none (profile only)')],
      ['Why', i.backendReason],
      ['Model', i.model ? `${i.model.ready ? 'ready' : i.model.error ? `failed: ${i.model.error}` : off ? 'not loaded: personalisation is off' : 'loading'}` : 'not configured'],
      ['Storage', `${i.storage}${i.storageReason ? ` (${i.storageReason})` : ''}`],
      ['Consent', i.gpc ? `${i.consent} (Global Privacy Control is on)` : i.consent],
      ['Events kept', `${i.events}${i.paused ? ' (paused)' : ''}`],
    ]
    this.#info.replaceChildren(...rows.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]))
  }

  async refresh(): Promise<void> {
    this.#renderInfo()
    if (!this.#engine) return
    const history = await this.#engine.history()
    this.#chart.update(profileSeries(history, Date.now(), Number(this.#horizon.value)))
  }

  /** Show one ranking: `titles` maps ids to titles (the candidates carry them). */
  showRanking(label: string, result: RankResult<Candidate>, serverOrder: Candidate[], limit: number): void {
    const t = result.timings
    this.#rank.replaceChildren(
      h('p', {}, h('strong', { text: label })),
      h('p', {}, h('span', { class: `badge path-${result.path}`, text: PATH_TEXT[result.path] }), result.reason ? h('span', { class: 'muted', text: ` ${result.reason}` }) : null),
      h('p', { class: 'muted', text: `ranked ${result.items.length} candidates in ${t.totalMs.toFixed(1)} ms${t.encoderMs !== undefined ? ` (encoder ${t.encoderMs.toFixed(1)} ms)` : ''}` }),
    )
    const server = h('ol', { class: 'order server', 'aria-label': 'Server order' })
    for (const c of serverOrder.slice(0, limit)) server.append(h('li', { text: c.title ?? c.id }))
    const mine = h('ol', { class: 'order mine', 'aria-label': 'LocalRank order' })
    result.items.slice(0, limit).forEach((r, i) => {
      const move = r.serverRank - i
      const arrow =
        move > 0
          ? h('span', { class: 'up', title: `up ${move}`, text: `▲${move}` })
          : move < 0
            ? h('span', { class: 'down', title: `down ${-move}`, text: `▼${-move}` })
            : h('span', { class: 'same', title: 'unchanged', text: '=' })
      const why = r.explanation.map((e) => e.text).join(' · ')
      mine.append(h('li', { 'data-id': r.id }, h('span', { class: 'row' }, arrow, h('span', { class: 'name', text: r.candidate.title ?? r.id })), why ? h('span', { class: 'why', text: why }) : null))
    })
    this.#compare.replaceChildren(h('div', { class: 'cols' }, h('div', {}, h('h4', { text: 'Server' }), server), h('div', {}, h('h4', { text: 'LocalRank' }), mine)))
  }
}
