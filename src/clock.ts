/** Milliseconds since the Unix epoch. Injected everywhere so tests run on a fixed clock. */
export type Clock = () => number
export const systemClock: Clock = () => Date.now()
