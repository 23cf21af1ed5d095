/**
 * The page e2e/react.spec.ts drives: server-rendered in Node (renderToString, from the built
 * package), then hydrated in Chromium. Its shopper has a lighting history, so the ranked order
 * differs from the server's.
 */
import { hydrateRoot } from 'react-dom/client'
import type { Candidate } from 'localrank'
import { RankedList } from './RankedList'
import { getEngine } from './engine'

export interface Product extends Candidate {
  title: string
}
export const PRODUCTS: Product[] = [
  { id: 'pan-1', title: 'Frying pan', category: ['kitchen', 'pans'], score: 0.9 },
  { id: 'sock-1', title: 'Wool socks', category: ['clothing', 'socks'], score: 0.8 },
  { id: 'lamp-9', title: 'Reading lamp', category: ['home', 'lighting'], score: 0.1 },
]

export function App({ engine }: { engine: ReturnType<typeof getEngine> }) {
  return <RankedList id="ranked" engine={engine} candidates={PRODUCTS} render={(p) => p.title} />
}

if (typeof window !== 'undefined' && document.getElementById('root')) {
  const engine = getEngine({ storage: 'memory' })
  // The history, recorded before the list asks for its order.
  const ready = engine!.then(async (e) => {
    for (const id of ['lamp-1', 'lamp-2']) await e.track({ type: 'add_to_cart', items: [{ id, category: ['home', 'lighting'] }] })
    return e
  })
  hydrateRoot(document.getElementById('root')!, <App engine={ready} />)
}
