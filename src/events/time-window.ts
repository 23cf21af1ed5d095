/**
 * The window an event's timestamp must fall in (issue 13, defect 10). Validation used to ask
 * only for an integer ≥ 0, so a timestamp above 8.64e15 (the largest a `Date` can hold, ECMA-262
 * §21.4.1.1) made `toISOString()` throw inside the shopper's controls on every reload, and a
 * future-dated event was never old enough for age retention to evict it.
 *
 * - Upper bound: the engine's clock plus {@link MAX_CLOCK_SKEW_MS}. A page may pass the
 *   server's time for an event (a purchase confirmed server-side); ten minutes covers an
 *   ordinary drift between that server and this device, not a date in the future.
 * - Lower bound: {@link MIN_EVENT_TIMESTAMP}, 2000-01-01. Nothing a shopper did in a browser
 *   that runs this code is older; a smaller number is a unit mistake (seconds, not ms) or junk.
 *   (Age retention then bounds what is kept far more tightly.)
 */
export const MAX_CLOCK_SKEW_MS = 10 * 60 * 1000
export const MIN_EVENT_TIMESTAMP = Date.UTC(2000, 0, 1)

/** `[MIN_EVENT_TIMESTAMP, now + MAX_CLOCK_SKEW_MS]`; a non-finite `now` (no clock) uses the system time. */
export function timestampWindow(now: number): { min: number; max: number } {
  const t = Number.isFinite(now) ? now : Date.now()
  return { min: MIN_EVENT_TIMESTAMP, max: t + MAX_CLOCK_SKEW_MS }
}

/** Why `timestamp` is outside the window, or null when it is inside. */
export function timestampProblem(timestamp: number, now: number): string | null {
  const { min, max } = timestampWindow(now)
  if (timestamp > max) return `must be no later than now + ${MAX_CLOCK_SKEW_MS / 60000} min (${max}); got ${timestamp}`
  if (timestamp < min) return `must be no earlier than 2000-01-01 (${min} ms since 1970); got ${timestamp}`
  return null
}
