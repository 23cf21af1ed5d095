/**
 * The project's one string hash, shared by the encoder's feature hashing (encoder/features.ts)
 * and the offline tools' seeded streams (offline/protocol/prng.ts).
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
