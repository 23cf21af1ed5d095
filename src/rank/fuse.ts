/**
 * Standardise a signal within one list: ẑ = (x − mean) / std, or all zeros when the list
 * carries no information (std = 0, or every value NaN). NaN entries become 0 (the mean),
 * i.e. "no opinion". Standardising per list is what lets a popularity count, a decayed
 * interest mass and a dot product be added without per-shop calibration.
 */
export function standardise(x: ArrayLike<number>): Float64Array {
  const n = x.length
  const out = new Float64Array(n)
  let sum = 0
  let cnt = 0
  for (let i = 0; i < n; i++) {
    const v = x[i] as number
    if (Number.isFinite(v)) {
      sum += v
      cnt++
    }
  }
  if (cnt === 0) return out
  const mean = sum / cnt
  let ss = 0
  for (let i = 0; i < n; i++) {
    const v = x[i] as number
    if (Number.isFinite(v)) ss += (v - mean) * (v - mean)
  }
  const std = Math.sqrt(ss / cnt)
  if (!(std > 1e-12)) return out
  for (let i = 0; i < n; i++) {
    const v = x[i] as number
    out[i] = Number.isFinite(v) ? (v - mean) / std : 0
  }
  return out
}

/**
 * The server's signal: candidates with a finite score use it (transformed), the others
 * their position. With 'rank' (or when no candidate has a score) the signal is −position,
 * so the server's order is reproduced exactly when nothing else speaks.
 */
export function serverSignal(scores: Float64Array, transform: 'rank' | 'log' | 'raw'): Float64Array {
  const n = scores.length
  const out = new Float64Array(n)
  let anyScore = false
  for (let i = 0; i < n; i++) if (Number.isFinite(scores[i])) anyScore = true
  if (transform === 'rank' || !anyScore) {
    for (let i = 0; i < n; i++) out[i] = -i
    return out
  }
  for (let i = 0; i < n; i++) {
    const s = scores[i] as number
    out[i] = !Number.isFinite(s) ? Number.NaN : transform === 'log' ? Math.log1p(Math.max(s, 0)) : s
  }
  return out
}
