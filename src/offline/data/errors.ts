/**
 * Offline-only error: a dataset file is missing or unusable. It is not a LocalRankError
 * because it never reaches a page; it names the path so that the engineer can fix it.
 */
export class DatasetError extends Error {
  override readonly name = 'DatasetError'
  readonly path: string
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.path = path
  }
}
