/**
 * A progress bar on stderr (stdout stays free for the summary). On a TTY it redraws one line
 * with \r; otherwise (CI logs, the smoke test) it prints a line per step so logs stay readable.
 */
export class Progress {
  private done = 0
  private readonly t0 = performance.now()
  private readonly tty: boolean

  constructor(
    private total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
  ) {
    this.tty = !!out.isTTY
  }

  /** Grow the plan (sections discover their step count once they know what is available). */
  add(steps: number): void {
    this.total += steps
  }

  step(label: string, n = 1): void {
    this.done = Math.min(this.total, this.done + n)
    this.draw(label)
  }

  note(label: string): void {
    this.draw(label)
  }

  finish(label = 'done'): void {
    this.done = this.total
    this.draw(label)
    if (this.tty && !this.quiet) this.out.write('\n')
  }

  private draw(label: string): void {
    if (this.quiet) return
    const width = 28
    const frac = this.total > 0 ? this.done / this.total : 0
    const fill = Math.round(frac * width)
    const secs = ((performance.now() - this.t0) / 1000).toFixed(0)
    const line = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${String(Math.round(frac * 100)).padStart(3)}% ${secs}s ${label}`
    if (this.tty) this.out.write(`\r${line.slice(0, (this.out.columns ?? 120) - 1).padEnd(Math.min(119, (this.out.columns ?? 120) - 1))}`)
    else this.out.write(`${line}\n`)
  }
}
