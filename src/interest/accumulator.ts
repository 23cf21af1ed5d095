/**
 * Decayed sums that update in O(1) per unit and answer exactly.
 *
 * A profile needs, per feature f and per kernel K, S_f(now) = Σ_u w_u · K(now − t_u) over
 * the history units u that carry f, and the total mass M(now) = Σ_u |w_u| · K(now − t_u).
 * Recomputing either from the history at every query is O(history); these accumulators
 * make `add` O(1) and keep the answer exactly that sum (to rounding).
 *
 * - Exponential (and none, λ = 0): K(a + b) = K(a)·K(b), so S_f(now) = s·K(now − ref) with
 *   s = Σ w_u·K(ref − t_u) anchored at ref = the feature's latest unit time. Each add
 *   rescales s by exp(−λ·Δ) ≤ 1, so nothing ever overflows, however far apart the
 *   timestamps are (MovieLens spans 1996–2018 in ms: e^(λ·t) itself would overflow for any
 *   half-life under ~11 days). Old mass underflows gracefully to 0.
 * - Linear, window, power law: not factorisable; every feature keeps its unit list
 *   (`UnitList`) and `sum(now)` walks it. The profile caches each feature's value per `now`,
 *   so scoring many candidates at one instant walks each list once.
 * - Negative ages (units stamped after `now`, from clock skew) are age 0 by the kernel
 *   contract, which breaks factorisation; the exponential then falls back to the exact list
 *   sum. That is why every feature keeps its list, whatever the kernel.
 */
import type { DecayKernel } from './types'

/** One feature's units: parallel arrays of time and weight. Units at the same time as the last one merge. */
export class UnitList {
  readonly times: number[] = []
  readonly weights: number[] = []
  push(t: number, w: number): void {
    const n = this.times.length
    if (n > 0 && this.times[n - 1] === t) this.weights[n - 1] = (this.weights[n - 1] as number) + w
    else {
      this.times.push(t)
      this.weights.push(w)
    }
  }
  /** Σ w·K(now − t), straight from the list: O(units). */
  sum(kernel: DecayKernel, now: number): number {
    const { times, weights } = this
    let s = 0
    for (let i = 0; i < times.length; i++) s += (weights[i] as number) * kernel.weight(now - (times[i] as number))
    return s
  }
}

/** One kernel's decayed sum over one feature's units. */
export interface Accumulator {
  /** Fold in one unit; its (t, w) has already been pushed to the shared list. */
  add(t: number, w: number): void
  /** S(now) = Σ w·K(now − t), ages clamped at 0. */
  sum(now: number): number
  /**
   * S(now) / M(now) for this feature against the mass accumulator `mass` (same kernel),
   * 0 when M(now) ≤ 0. `massSum` is mass.sum(now), which the caller caches per instant.
   * The mass sums |w| over every unit, so |S| ≤ M and the share lies in [−1, 1]; it is
   * clamped there too, so rounding (or a subnormal mass) can never yield ±∞ or NaN.
   */
  share(mass: Accumulator, now: number, massSum: number): number
}

/** Exponential (λ > 0) or no decay (λ = 0): one rescaled sum anchored at the latest unit. */
export class ExpAccumulator implements Accumulator {
  /** Σ w·exp(−λ(ref − t)) over the units folded in. */
  s = 0
  /** Latest time of a unit with w ≠ 0 (−∞ while there is none). */
  ref = -Infinity
  constructor(
    readonly kernel: DecayKernel,
    readonly lambda: number,
    readonly list: UnitList,
  ) {}

  add(t: number, w: number): void {
    // A zero-weight unit changes no sum; letting it move the anchor could only push s
    // towards the subnormal range (and the share's precision with it).
    if (w === 0) return
    if (this.ref === -Infinity) {
      this.s = w
      this.ref = t
    } else if (t > this.ref) {
      this.s = this.s * Math.exp(-this.lambda * (t - this.ref)) + w
      this.ref = t
    } else {
      this.s += w * Math.exp(-this.lambda * (this.ref - t))
    }
  }

  sum(now: number): number {
    if (this.ref === -Infinity) return 0
    if (this.lambda === 0) return this.s
    if (now >= this.ref) return this.s * Math.exp(-this.lambda * (now - this.ref))
    return this.list.sum(this.kernel, now) // some unit lies after `now`: clamped ages, exact list sum
  }

  /**
   * While `now` is after every unit the ratio does not depend on `now` at all (the decay
   * factor cancels), so it is computed from the anchored sums: exact even when S and M have
   * both underflowed to 0 because the history is decades old.
   *   S/M = (s_f / s_M) · exp(−λ(ref_M − ref_f)),  ref_M ≥ ref_f
   * (the mass sees every unit with w ≠ 0, as |w| > 0, so its anchor is the latest of all).
   */
  share(mass: Accumulator, now: number, massSum: number): number {
    if (this.ref === -Infinity) return 0
    const m = mass as ExpAccumulator
    if (now >= m.ref || this.lambda === 0) {
      if (!(m.s > 0)) return 0
      return clampShare((this.s * Math.exp(-this.lambda * (m.ref - this.ref))) / m.s)
    }
    return massSum > 0 ? clampShare(this.sum(now) / massSum) : 0
  }
}

/** Linear, window, power law: the exact sum over the shared unit list at query time. */
export class ListAccumulator implements Accumulator {
  constructor(
    readonly kernel: DecayKernel,
    readonly list: UnitList,
  ) {}
  add(): void {}
  sum(now: number): number {
    return this.list.sum(this.kernel, now)
  }
  share(_mass: Accumulator, now: number, massSum: number): number {
    return massSum > 0 ? clampShare(this.sum(now) / massSum) : 0
  }
}

/** Clamp a share into [−1, 1] (NaN → 0). */
export function clampShare(x: number): number {
  return x > 1 ? 1 : x < -1 ? -1 : x === x ? x : 0
}

/** The accumulator a kernel needs: factorised for exponential/none, list-walking otherwise. */
export function makeAccumulator(kernel: DecayKernel, list: UnitList): Accumulator {
  switch (kernel.name) {
    case 'exponential':
      return new ExpAccumulator(kernel, Math.LN2 / (kernel.params.halfLifeMs as number), list)
    case 'none':
      return new ExpAccumulator(kernel, 0, list)
    default:
      return new ListAccumulator(kernel, list)
  }
}
