/**
 * Typed errors. Every error LocalRank raises is a `LocalRankError` carrying a
 * machine-readable `code` and the context (field, store, backend, model) that a
 * developer needs to fix the cause without reading our source.
 */
export type LocalRankErrorCode = 'invalid_event' | 'invalid_candidates' | 'invalid_options' | 'storage' | 'quota' | 'backend_unavailable' | 'model' | 'integrity' | 'deadline' | 'disposed' | 'consent'

export interface LocalRankErrorContext {
  /** Dotted path of the offending field, e.g. `items[0].price`. */
  field?: string
  store?: string
  backend?: string
  model?: string
  [key: string]: unknown
}

export class LocalRankError extends Error {
  override readonly name: string = 'LocalRankError'
  readonly code: LocalRankErrorCode
  readonly context: LocalRankErrorContext
  constructor(code: LocalRankErrorCode, message: string, context: LocalRankErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.context = context
  }
}

/** A value failed validation at the boundary. `field` names it; `reason` says why. */
export class ValidationError extends LocalRankError {
  override readonly name = 'ValidationError'
  readonly field: string
  readonly reason: string
  constructor(code: 'invalid_event' | 'invalid_candidates' | 'invalid_options', field: string, reason: string) {
    super(code, `${field}: ${reason}`, { field })
    this.field = field
    this.reason = reason
  }
}

export class StorageError extends LocalRankError {
  override readonly name = 'StorageError'
}

export class BackendError extends LocalRankError {
  override readonly name = 'BackendError'
}

export class ModelError extends LocalRankError {
  override readonly name = 'ModelError'
}

/** Normalise anything thrown into a LocalRankError without losing the cause. */
export function toLocalRankError(err: unknown, code: LocalRankErrorCode = 'storage', context: LocalRankErrorContext = {}): LocalRankError {
  if (err instanceof LocalRankError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new LocalRankError(code, message, context, { cause: err })
}
