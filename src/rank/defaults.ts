/**
 * How the ranker fuses its three signals. Each signal is first made comparable within the
 * list (see `normalise` in fuse.ts), then
 *
 *   final(c) = server · ẑ_server(c) + profile · ẑ_profile(c) + encoder · ẑ_encoder(c)
 *
 * The values are the library defaults; the evaluation report (src/offline/eval/report/)
 * holds the evidence for them. They are chosen on validation items only.
 */
export interface FusionWeights {
  server: number
  profile: number
  encoder: number
}

export interface RankerConfig {
  weights: FusionWeights
  /**
   * How server scores become comparable: 'rank' uses only the server's order (robust to any
   * score scale); 'log' uses log1p(max(score,0)) (keeps popularity magnitudes); 'raw' as sent.
   * Candidates without a score always fall back to their position.
   */
  serverTransform: 'rank' | 'log' | 'raw'
  /** Items bought within this window (ms) are moved below the rest. Default 30 days. */
  demotePurchasedMs: number
  /**
   * MMR re-orders only the top `mmrWindow` items not just bought, whatever the list's length
   * or `limit`: its work is O(window · min(window, limit)), bounded (issue 13 #20: with the
   * whole list as the window, 10,000 candidates took 7–11 s on the main thread).
   */
  mmrWindow: number
  /** Explanations per item. */
  maxExplanations: number
}

/**
 * The encoder's weight (50) was re-chosen on validation targets for the full-softmax model f3
 * (issue 11, 4 Dec 2026), with server 1 and profile 3 held: over encoder weights 0–200 it has
 * the best mean NDCG@10 of the two datasets' validation protocols (ml-latest-small with the
 * shipped model: uniform, popularity, category, session, session-new, 0.4336; REES46 with its
 * own encoder, the same and cart, 0.7085), on a plateau from 30 to 50; weight 3, chosen with
 * the previous model, gave 0.3915 and 0.6284. The profile still breaks the encoder's near-ties
 * and explains the order. Where no model is loaded the weight is unused and the profile path
 * (server 1, profile 3) is unchanged.
 */
export const DEFAULT_RANKER_CONFIG: RankerConfig = {
  weights: { server: 1, profile: 3, encoder: 50 },
  serverTransform: 'rank',
  demotePurchasedMs: 30 * 24 * 3600 * 1000,
  mmrWindow: 200,
  maxExplanations: 3,
}
