export { EVENT_TYPES, type EventType, type Item, type TrackInput, type StoredEvent } from './types'
export { validateEvent, validateItem, randomId, eventId } from './validate'
