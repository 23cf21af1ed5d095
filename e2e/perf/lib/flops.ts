/**
 * Floating-point operations of one encoder pass, counted from the model's config (the same
 * `EncoderConfig` that model.json carries). A multiply-add counts as 2 FLOPs. Only the
 * matrix products and the content-embedding sums are counted: they dominate; LayerNorm,
 * softmax, the biases and the gate's elementwise work add O(m·d) and O(m·N·H) terms that are
 * left out, so the count is a slight *under*estimate and "time / (FLOPs / peak)" a slight
 * *over*estimate of the distance to the compute limit.
 *
 * Full encode of m tokens (no KV cache, N = m keys per query; the causal mask is applied to a
 * dense m×N product, so the masked half is computed too, see model.ts `forward`):
 *   embed(m)  = 2·m·F·d                                  (Σ_s w_s·feat_emb[f_s], F slots)
 *   block(m,N)= 4·(2·m·d²)                               (q, k, v and output projections)
 *             + 2·(2·m·N·d)                              (q·Kᵀ and att·V, over all heads)
 *             + 2·(2·m·d·ffn)                            (the two FFN layers)
 *   encode    = embed(m) + blocks·block(m, m)
 * Incremental encode of one token (m = 1) against a cache of N−1 tokens: embed(1) + blocks·block(1, N).
 * Scoring n candidates: fuse = 2·(2·d²) (gate on s and l), then per candidate
 *   2·F·d (content embedding) + 2·d (dot with u):   score(n) = 4·d² + n·(2·F·d + 2·d).
 * Context length: the encoder sees at most `maxLen` tokens, starting at
 *   start = ⌈max(0, T − maxLen)/step⌉·step, step = ⌊maxLen/4⌋ (config.ts `contextStart`),
 * so m = T − start for a history of T tokens (one token per single-item event).
 * Not counted: products an implementation adds to save kernels rather than to compute the model
 * (src/encoder/attention-encode.ts centres each LayerNorm's input as x·(I − 1/d), 2·m·d² each),
 * so the ratio to the ideal stays a ratio to the model's own arithmetic.
 */
export interface FlopConfig {
  d: number
  heads: number
  blocks: number
  ffn: number
  featSlots: number
  maxLen: number
}

export function contextTokens(totalTokens: number, maxLen: number): number {
  const step = Math.max(1, Math.floor(maxLen / 4))
  const start = Math.ceil(Math.max(0, totalTokens - maxLen) / step) * step
  return totalTokens - start
}

export function embedFlops(cfg: FlopConfig, m: number): number {
  return 2 * m * cfg.featSlots * cfg.d
}

export function blockFlops(cfg: FlopConfig, m: number, N: number): number {
  const { d, ffn } = cfg
  return 4 * (2 * m * d * d) + 2 * (2 * m * N * d) + 2 * (2 * m * d * ffn)
}

/** FLOPs of a full encode of a history of `totalTokens` tokens (only the context is encoded). */
export function encodeFlops(cfg: FlopConfig, totalTokens: number): number {
  const m = contextTokens(totalTokens, cfg.maxLen)
  if (m <= 0) return 0
  return embedFlops(cfg, m) + cfg.blocks * blockFlops(cfg, m, m)
}

/** FLOPs of encoding one new token against a cache of `pastTokens` tokens. */
export function incrementalFlops(cfg: FlopConfig, pastTokens: number): number {
  return embedFlops(cfg, 1) + cfg.blocks * blockFlops(cfg, 1, pastTokens + 1)
}

/** FLOPs of fusing the user vector and scoring `n` candidates. */
export function scoreFlops(cfg: FlopConfig, n: number): number {
  return 4 * cfg.d * cfg.d + n * (2 * cfg.featSlots * cfg.d + 2 * cfg.d)
}

/** FLOPs of C = A·B for A [m,k] and B [k,n]. */
export function matmulFlops(m: number, k: number, n: number): number {
  return 2 * m * k * n
}
