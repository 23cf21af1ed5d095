import type { StoredEvent } from '../../events/types'
import type { Dataset } from '../data/types'

/**
 * Leave-one-out split, the SASRec protocol (Kang & McAuley 2018, "Self-Attentive
 * Sequential Recommendation"), as ../shared/datasets/README.md fixes it:
 * - each user's events are sorted by timestamp, keeping file order for ties (stable sort);
 * - an *interaction* is an event with an item (a `search` is context, not a target);
 * - the last interaction is the test item, the second-to-last the validation item;
 * - users with fewer than 3 interactions go to training only.
 */
export interface HeldOut {
  event: StoredEvent
  /** Index of the event in `UserSplit.events`. Everything before it is the history. */
  index: number
  itemId: string
}

export interface UserSplit {
  user: string
  /** Sorted by time, ties in file order. */
  events: StoredEvent[]
  val?: HeldOut
  test?: HeldOut
  /** Events that count as training data (before the validation event; all of them for train-only users). */
  trainEnd: number
  /** Every item the user ever interacted with, train, validation and test (negatives avoid them). */
  interacted: Set<string>
}

export interface Split {
  users: UserSplit[]
  /** Users with a validation and a test item. */
  evalUsers: number
  trainOnlyUsers: number
  /** Interaction count per item over training events only: the server score in the protocol. */
  trainPopularity: Map<string, number>
  /** Interaction count per item over all events: the weights of popularity-sampled negatives. */
  allPopularity: Map<string, number>
  /** Items with at least one interaction, in first-seen order: the ranking universe. */
  universe: string[]
  /** Category path of each universe item that has one (from the item file or the events): the category-page protocol's pools. */
  categories?: Map<string, string[]>
}

/** Stable sort by timestamp: ties keep file order (Array.prototype.sort is stable since ES2019). */
export function sortEvents(events: ReadonlyArray<StoredEvent>): StoredEvent[] {
  return [...events].sort((a, b) => a.timestamp - b.timestamp)
}

export function splitUser(user: string, fileOrder: ReadonlyArray<StoredEvent>): UserSplit {
  const events = sortEvents(fileOrder)
  const interactions: number[] = []
  const interacted = new Set<string>()
  events.forEach((e, i) => {
    if (e.items.length > 0) {
      interactions.push(i)
      for (const it of e.items) interacted.add(it.id)
    }
  })
  if (interactions.length < 3) return { user, events, trainEnd: events.length, interacted }
  const vi = interactions[interactions.length - 2]!
  const ti = interactions[interactions.length - 1]!
  const held = (index: number): HeldOut => {
    const event = events[index]!
    return { event, index, itemId: event.items[0]!.id }
  }
  return { user, events, val: held(vi), test: held(ti), trainEnd: vi, interacted }
}

export function leaveOneOut(ds: Dataset): Split {
  const users = ds.users.map((u) => splitUser(u.id, u.events))
  const trainPopularity = new Map<string, number>()
  const allPopularity = new Map<string, number>()
  const universe: string[] = []
  const categories = new Map<string, string[]>()
  for (const u of users) {
    u.events.forEach((e, i) => {
      for (const it of e.items) {
        const c = allPopularity.get(it.id)
        if (c === undefined) {
          universe.push(it.id)
          const path = ds.items.get(it.id)?.category ?? it.category
          if (path && path.length > 0) categories.set(it.id, path)
        }
        allPopularity.set(it.id, (c ?? 0) + 1)
        if (i < u.trainEnd) trainPopularity.set(it.id, (trainPopularity.get(it.id) ?? 0) + 1)
      }
    })
  }
  const evalUsers = users.filter((u) => u.test).length
  return { users, evalUsers, trainOnlyUsers: users.length - evalUsers, trainPopularity, allPopularity, universe, categories }
}

/** The training events of a user (what the similarity table and popularity may see). */
export function trainEvents(u: UserSplit): StoredEvent[] {
  return u.events.slice(0, u.trainEnd)
}
