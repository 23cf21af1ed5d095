/**
 * A one-line progress bar with ETA on stderr. On a terminal it redraws in place; in a log
 * (CI, `> file`) it prints a line every 10 % so the log stays readable.
 */
export class Progress {
  private readonly start = Date.now()
  private lastPct = -1
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, info = ''): void {
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1
    const elapsed = (Date.now() - this.start) / 1000
    const eta = frac > 0 ? elapsed * (1 / frac - 1) : NaN
    const width = 24
    const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '·')
    const line = `${this.label} ${bar} ${done}/${this.total} ${fmt(elapsed)} elapsed, ETA ${fmt(eta)} ${info}`
    if (this.out.isTTY) {
      this.out.write(`\r${line.slice(0, (this.out.columns ?? 120) - 1)}\x1b[K`)
    } else {
      const pct = Math.floor(frac * 10)
      if (pct !== this.lastPct) {
        this.lastPct = pct
        this.out.write(line + '\n')
      }
    }
  }

  done(info = ''): void {
    this.update(this.total, info)
    if (this.out.isTTY) this.out.write('\n')
  }
}

export function fmt(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?'
  const s = Math.round(seconds)
  const m = Math.floor(s / 60)
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`
}
