import type { Item } from '../events/types'

/**
 * The cart is ordinary shop state (strictly necessary, like a session cookie), not
 * personalisation history: it lives in sessionStorage whatever the consent, and LocalRank only
 * learns from the add/remove/purchase events the page tracks.
 */
export interface CartLine {
  item: Item & { title: string; price: number }
  qty: number
}
const KEY = 'localrank-demo-cart'
let lines: CartLine[] = read()
const listeners = new Set<() => void>()

function read(): CartLine[] {
  try {
    const v = JSON.parse(sessionStorage.getItem(KEY) ?? '[]') as CartLine[]
    return Array.isArray(v) ? v : []
  } catch {
    return []
  }
}
function write() {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(lines))
  } catch {
    /* private mode: keep the cart in memory */
  }
  for (const l of listeners) l()
}
export const cart = {
  lines: () => lines.slice(),
  count: () => lines.reduce((n, l) => n + l.qty, 0),
  total: () => lines.reduce((n, l) => n + l.qty * l.item.price, 0),
  add(item: CartLine['item']) {
    const line = lines.find((l) => l.item.id === item.id)
    if (line) line.qty++
    else lines.push({ item, qty: 1 })
    write()
  },
  remove(id: string) {
    lines = lines.filter((l) => l.item.id !== id)
    write()
  },
  clear() {
    lines = []
    write()
  },
  onChange(fn: () => void) {
    listeners.add(fn)
    return () => listeners.delete(fn)
  },
}
