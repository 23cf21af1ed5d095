/**
 * One engine per page, created only in the browser: on the server there is no engine (null), so
 * server rendering never opens storage or starts workers, and importing `localrank` there is safe.
 */
import { createEngine, type Engine, type EngineOptions } from 'localrank'

let engine: Promise<Engine> | null = null

export function getEngine(options: EngineOptions = {}): Promise<Engine> | null {
  if (typeof window === 'undefined') return null
  return (engine ??= createEngine(options))
}
