/**
 * Progress on stderr. On a TTY one bar redrawn in place (`\r`, at most ~10 times a
 * second); otherwise (CI logs, pipes) a plain line every 10%, so logs stay readable.
 */
export class Progress {
  private last = 0
  private lastPct = -1
  private readonly t0 = performance.now()
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly tty: boolean = Boolean(process.stderr.isTTY),
  ) {}

  update(done: number, detail = ''): void {
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1
    const pct = Math.floor(frac * 100)
    const elapsed = (performance.now() - this.t0) / 1000
    if (this.tty) {
      const now = performance.now()
      if (done < this.total && now - this.last < 100) return
      this.last = now
      const width = 30
      const fill = Math.round(frac * width)
      const eta = frac > 0 ? elapsed / frac - elapsed : 0
      this.stream.write(
        `\r${this.label} [${'█'.repeat(fill)}${'░'.repeat(width - fill)}] ${String(pct).padStart(3)}% ${done}/${this.total} ${elapsed.toFixed(1)}s eta ${eta.toFixed(0)}s ${detail}`
          .padEnd(100)
          .slice(0, 120),
      )
      if (done >= this.total) this.stream.write('\n')
    } else {
      const step = Math.floor(pct / 10) * 10
      if (step === this.lastPct && done < this.total) return
      if (done >= this.total && this.lastPct === 100) return
      this.lastPct = done >= this.total ? 100 : step
      this.stream.write(`${this.label}: ${done >= this.total ? 100 : step}% (${done}/${this.total}, ${elapsed.toFixed(1)}s)\n`)
    }
  }
}

/** A one-off status line on stderr. */
export function note(line: string): void {
  process.stderr.write(`${line}\n`)
}
