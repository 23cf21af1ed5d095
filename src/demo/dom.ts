/**
 * The demo's only way to build DOM. Text goes in with `textContent` and attributes with
 * `setAttribute`, never `innerHTML`: movie titles come from a catalogue (and in a real shop
 * from merchants), so they must never be parsed as markup (the e2e XSS test checks this).
 */
type Child = Node | string | null | undefined | false
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string | number | boolean | undefined> = {}, ...kids: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === false) continue
    if (k === 'text') el.textContent = String(v)
    else if (k === 'class') el.className = String(v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const k of kids) if (k !== null && k !== undefined && k !== false) el.append(k)
  return el
}

export function svgEl(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v))
  return el
}

export const fmtPrice = (p: number) => `$${p.toFixed(2)}`
