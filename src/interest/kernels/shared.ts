import { ValidationError } from '../../errors'

/**
 * Ages below zero come from clock skew between tabs or devices, or from a timestamp the
 * page set in the future. Such an event is "now", not "more than now": every kernel maps a
 * negative age to age 0 (weight 1). A NaN age carries no evidence and maps to weight 0.
 */
export function clampAge(ageMs: number): number {
  return ageMs > 0 ? ageMs : ageMs !== ageMs ? Number.NaN : 0
}

/** Kernel parameters are positive, finite numbers; anything else names the parameter. */
export function positiveParam(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError('invalid_options', field, `must be a finite number > 0 (got ${String(value)})`)
  }
  return value
}
