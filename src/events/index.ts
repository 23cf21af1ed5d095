export { EVENT_TYPES, type EventType, type Item, type TrackInput, type StoredEvent } from './types'
export { validateEvent, validateItem, randomId, eventId } from './validate'
export { compactForStorage, storedBytes, STORED_NEIGHBOURS, STORED_TITLE_CHARS } from './compact'
export { vectorProblem, neighboursProblem, neighbourPairProblem, VECTOR_PATTERN, MAX_VECTOR_CHARS, MAX_NEIGHBOURS } from './item-data'
