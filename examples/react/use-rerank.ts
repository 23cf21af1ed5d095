/**
 * A React hook around LocalRank's `rerank`, with no flash of the wrong order:
 *
 *   const state = useRerank(engine, productsFromYourServer, { limit: 12 })
 *   // state.status: 'pending' (render state.items hidden) | 'ranked' | 'server'
 *
 * - While ranking, `items` is your server's order and `status` is 'pending': render it with
 *   `visibility: hidden`, so the layout does not jump, and show it only once ranked.
 * - The first answer is final for a given list: a late answer never reorders what the shopper
 *   already sees. If no answer comes within `revealAfterMs` (default 1,500 ms: the README's
 *   anti-flicker limit) the server's order is shown ('server') and stays.
 * - On the server (SSR) and in the first client render (hydration), `engine` is null or not yet
 *   resolved and the state is 'pending' with the server's order, so server and client markup match.
 */
import { useEffect, useState } from 'react'
import type { Candidate, Engine, RankResult } from 'localrank'

export type RerankState<C extends Candidate> =
  | { status: 'pending'; items: C[] }
  | { status: 'ranked'; items: C[]; result: RankResult<C> }
  | { status: 'server'; items: C[]; reason: string }

export interface UseRerankOptions {
  limit?: number
  /** Give up waiting and show the server's order after this long. */
  revealAfterMs?: number
  /** The encoder's deadline inside rerank (it then answers from the profile). */
  deadlineMs?: number
}

export function useRerank<C extends Candidate>(engine: Engine | Promise<Engine> | null, candidates: C[], options: UseRerankOptions = {}): RerankState<C> {
  const { limit, revealAfterMs = 1500, deadlineMs } = options
  const server = limit === undefined ? candidates : candidates.slice(0, limit)
  // A new list (by ids) starts a new round; the same ids re-rendered do not.
  const key = candidates.map((c) => c.id).join('\u0000')
  const [state, setState] = useState<{ key: string; value: RerankState<C> }>({ key, value: { status: 'pending', items: server } })

  useEffect(() => {
    if (!engine) return
    let settled = false
    const settle = (value: RerankState<C>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      setState({ key, value })
    }
    const timer = setTimeout(() => settle({ status: 'server', items: server, reason: `no answer within ${revealAfterMs} ms` }), revealAfterMs)
    Promise.resolve(engine)
      .then((e) => e.rerank(candidates, { limit, deadlineMs }))
      .then(
        (result) => settle({ status: 'ranked', items: result.items.map((r) => r.candidate), result }),
        (err: unknown) => settle({ status: 'server', items: server, reason: String(err) }),
      )
    return () => {
      settled = true
      clearTimeout(timer)
    }
    // `key` stands for `candidates`; options are read when a round starts.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [engine, key])

  return state.key === key ? state.value : { status: 'pending', items: server }
}
