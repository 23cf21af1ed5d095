/**
 * The project's hashes, one of each: FNV-1a, the string hash shared by the encoder's feature
 * hashing (encoder/features.ts) and the offline tools' seeded streams (offline/protocol/prng.ts);
 * and SHA-256, behind every artifact pin (the model's, encoder/weights.ts; the similarity
 * table's, interest/similarity.ts).
 */

/**
 * 32-bit FNV-1a over UTF-16 code units (Fowler, Noll, Vo):
 *   h₀ = 0x811c9dc5,  hᵢ = (hᵢ₋₁ ⊕ unitᵢ) · 0x01000193  (mod 2³²)
 * Tiny, fast and the same in every engine. Changing it would re-hash every content feature the
 * shipped encoder was trained on.
 */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** SHA-256 (lower-case hex) with WebCrypto, available in browsers, workers and Node ≥ 19. */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', data as unknown as ArrayBuffer)
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')
}
