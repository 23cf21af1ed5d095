/**
 * Feature extraction shared by the profile, the ranker and the offline tools: the one place
 * that decides what a "category key", a "price band" or a "token" is, so that the browser
 * and the evaluator can never disagree.
 */

/** Separator between category levels in a category key: `home>lamps`. */
export const CATEGORY_SEPARATOR = '>'

/**
 * One key per level of a category path, each the full prefix from the root:
 *
 *   categoryKeys(['home', 'lighting', 'lamps']) → ['home', 'home>lighting', 'home>lighting>lamps']
 *
 * Prefix keys keep "lamps" under `home` apart from "lamps" under `garden`, and let an
 * interest in a broad level lift every item below it. A segment that itself contains `>`
 * or `\` has them escaped as `\>` and `\\`, so that `['a>b']` and `['a', 'b']` never share a
 * key. Empty or non-string segments end the path (validated events never have them).
 */
export function categoryKeys(path: ReadonlyArray<string> | undefined | null): string[] {
  const out: string[] = []
  if (!Array.isArray(path)) return out
  let prefix = ''
  for (const seg of path) {
    if (typeof seg !== 'string' || seg.length === 0) break
    const s = escapeSegment(seg)
    prefix = prefix ? prefix + CATEGORY_SEPARATOR + s : s
    out.push(prefix)
  }
  return out
}

/** Escape one category segment for use inside a key (see `categoryKeys`). */
export function escapeSegment(seg: string): string {
  return seg.includes('>') || seg.includes('\\') ? seg.replace(/\\/g, '\\\\').replace(/>/g, '\\>') : seg
}

/**
 * Price band of `price` given ascending `edges`: band i is [edges[i−1], edges[i]), band 0 is
 * everything below edges[0], and band `edges.length` is everything from the last edge up.
 * So there are `edges.length + 1` bands; with no edges, every price is in band 0.
 * Returns −1 for a missing, negative-infinite or NaN price (no band). O(log bands).
 */
export function priceBand(price: number | undefined | null, edges: ReadonlyArray<number>): number {
  if (typeof price !== 'number' || price !== price || price === -Infinity) return -1
  let lo = 0
  let hi = edges.length // first index whose edge is > price
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((edges[mid] as number) <= price) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * A readable label for a price band (the profile's key for price interests):
 * `<10`, `10–25`, `≥1000`; `any` when there are no edges.
 */
export function priceBandLabel(band: number, edges: ReadonlyArray<number>): string {
  if (edges.length === 0) return 'any'
  if (band <= 0) return `<${edges[0]}`
  if (band >= edges.length) return `≥${edges[edges.length - 1]}`
  return `${edges[band - 1]}–${edges[band]}`
}

// Runs of letters, combining marks and digits in any script. Marks are kept inside words
// because in many scripts (Devanagari, Thai, Arabic harakat) they are part of the letter.
const WORD = /[\p{L}\p{M}\p{N}]+/gu
// Scripts written without spaces between words. Lucene's CJKBigramFilter indexes them as
// overlapping character bigrams; we do the same, which needs no dictionary and gives the
// same tokens in Node and in every browser (Intl.Segmenter's CJK dictionaries vary by ICU).
// Script_Extensions rather than Script: the prolonged sound mark ー is Script=Common but
// belongs to Hiragana and Katakana words (スタンド, ケース).
const CJK_RUN = /[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}]+/u
const CJK_SPLIT = /([\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}]+)/u

/** Tokens shorter than this (in code points) are dropped, outside CJK runs. */
export const MIN_TOKEN_LENGTH = 2
/** Longer tokens are cut to this many code points (pasted hashes, URLs). */
export const MAX_TOKEN_LENGTH = 64

/**
 * Unicode-aware tokenizer for search queries and item titles.
 *
 * 1. NFKC-normalise (full-width `Ｌａｍｐ` → `Lamp`, ligatures split) and lower-case
 *    (locale-independent `toLowerCase`, so Turkish İ behaves the same on every device).
 * 2. Split into runs of letters, marks and digits (`\p{L}\p{M}\p{N}`); punctuation,
 *    symbols and spaces separate tokens: `t-shirt` → `shirt` (see 3).
 * 3. Drop tokens shorter than 2 code points (`a`, `t`, `5`), which match everything.
 * 4. Han, Hiragana and Katakana runs become overlapping bigrams (`電気スタンド` →
 *    `電気 気ス スタ タン ンド`); a lone CJK character is kept as a unigram.
 *
 * No accent folding (it would strip vowel signs that are letters in Indic scripts) and no
 * stop-word list (language-specific; the decay profile already down-weights what is
 * everywhere only if the shopper searches it everywhere). Order is kept, duplicates too.
 */
export function tokenize(text: string | undefined | null): string[] {
  const out: string[] = []
  if (typeof text !== 'string' || text.length === 0) return out
  const words = text.normalize('NFKC').toLowerCase().match(WORD)
  if (!words) return out
  for (const word of words) {
    if (!CJK_RUN.test(word)) {
      pushWord(out, word)
      continue
    }
    for (const piece of word.split(CJK_SPLIT)) {
      if (piece.length === 0) continue
      if (CJK_RUN.test(piece)) pushBigrams(out, piece)
      else pushWord(out, piece)
    }
  }
  return out
}

function pushWord(out: string[], word: string): void {
  // Code points, not UTF-16 units: `𝔸𝔹` is two characters, not four.
  let n = 0
  for (const _ of word) if (++n > MAX_TOKEN_LENGTH) break
  if (n < MIN_TOKEN_LENGTH) return
  out.push(n > MAX_TOKEN_LENGTH ? Array.from(word).slice(0, MAX_TOKEN_LENGTH).join('') : word)
}

function pushBigrams(out: string[], run: string): void {
  const chars = Array.from(run)
  if (chars.length === 1) {
    out.push(chars[0] as string)
    return
  }
  for (let i = 0; i + 1 < chars.length; i++) out.push((chars[i] as string) + (chars[i + 1] as string))
}

/** `tokenize` without duplicates, first occurrence order: what one event or title contributes. */
export function uniqueTokens(text: string | undefined | null): string[] {
  const all = tokenize(text)
  return all.length < 2 ? all : [...new Set(all)]
}
