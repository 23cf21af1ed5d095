/** Let the page run (input, rendering) before continuing: scheduler.yield where it exists. */
export function yieldToPage(): Promise<void> {
  const s = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler
  if (s && typeof s.yield === 'function') return s.yield()
  return new Promise((ok) => setTimeout(ok, 0))
}
