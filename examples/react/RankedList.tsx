/**
 * A product list in LocalRank's order (see use-rerank.ts). While ranking it keeps its place
 * hidden; if no script ever runs (server-rendered HTML, a blocked bundle) the README's
 * anti-flicker rule reveals it after 1.5 s through the same `lr-reveal` animation.
 *
 *   <RankedList engine={engine} candidates={products} limit={12} render={(p) => <ProductCard product={p} />} />
 */
import type { ReactNode } from 'react'
import type { Candidate, Engine } from 'localrank'
import { useRerank, type UseRerankOptions } from './use-rerank'

export interface RankedListProps<C extends Candidate> extends UseRerankOptions {
  engine: Engine | Promise<Engine> | null
  candidates: C[]
  render: (item: C) => ReactNode
  id?: string
}

export function RankedList<C extends Candidate>({ engine, candidates, render, id, ...options }: RankedListProps<C>) {
  const state = useRerank(engine, candidates, options)
  const pending = state.status === 'pending'
  return (
    <ul id={id} data-lr-state={state.status} style={pending ? { visibility: 'hidden', animation: 'lr-reveal 0s 1.5s forwards' } : undefined}>
      {state.items.map((c) => (
        <li key={c.id} data-item-id={c.id}>
          {render(c)}
        </li>
      ))}
    </ul>
  )
}
