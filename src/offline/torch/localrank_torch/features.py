"""Port of src/encoder/features.ts and tokens.ts: hashed content features and event tokens.

These must match the TypeScript definitions bit for bit (a different hash or tokeniser would
silently scramble the content embedding of every item in the browser). Two JavaScript details
are reproduced on purpose:
- FNV-1a runs over UTF-16 code units (JavaScript's `charCodeAt`), not UTF-8 bytes;
- `tokenize` splits on runs of characters that are neither \\p{L} nor \\p{N} and drops words of
  fewer than 2 UTF-16 code units (so one astral-plane letter counts as 2, as `length` does).
Unicode tables: Python's `unicodedata` and V8's ICU may be one Unicode version apart; only
characters assigned in between could tokenise differently.
"""
import math
import unicodedata

import numpy as np

EVENT_TYPES = ["view_item", "select_item", "add_to_cart", "remove_from_cart", "add_to_wishlist", "begin_checkout", "purchase", "search"]
TYPE_INDEX = {t: i for i, t in enumerate(EVENT_TYPES)}

ROW_PAD, ROW_OOV, ROW_SEARCH, FIRST_ITEM_ROW = 0, 1, 2, 3

STOP = {"the", "a", "an", "and", "of", "in", "on", "for", "to", "with", "la", "le", "de", "el"}


def fnv1a(s: str) -> int:
    """32-bit FNV-1a over UTF-16 code units (features.ts `fnv1a`)."""
    h = 0x811C9DC5
    b = s.encode("utf-16-le", "surrogatepass")
    for i in range(0, len(b), 2):
        h ^= b[i] | (b[i + 1] << 8)
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def feature_row(key: str, buckets: int) -> int:
    """Row of `field:value` in a table of `buckets` rows; row 0 is padding."""
    return 1 + fnv1a(key) % (buckets - 1)


def _utf16_len(s: str) -> int:
    return sum(2 if ord(c) > 0xFFFF else 1 for c in s)


def _word_char(c: str) -> bool:
    return unicodedata.category(c)[0] in ("L", "N")


def tokenize(text: str) -> list:
    """Lower-cased word tokens without stop words and one-letter tokens (features.ts `tokenize`)."""
    out = []
    word = []
    low = text.lower()

    def flush():
        if word:
            w = "".join(word)
            word.clear()
            if _utf16_len(w) >= 2 and w not in STOP and w not in out:
                out.append(w)

    for c in low:
        if _word_char(c):
            word.append(c)
        else:
            flush()
    flush()
    return out


def price_band(price: float) -> int:
    """⌊log2(1 + price)⌋ (features.ts `priceBand`)."""
    return int(math.floor(math.log2(1 + max(0.0, price))))


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def item_feature_keys(item: dict) -> list:
    """The (field, key) pairs of an item, most informative first."""
    keys = []
    cat = item.get("category") or []
    for c in cat:
        keys.append(("c", "c:" + c.lower()))
    if len(cat) > 1:
        keys.append(("cp", "cp:" + "/".join(c.lower() for c in cat)))
    if item.get("brand"):
        keys.append(("b", "b:" + item["brand"].lower()))
    p = item.get("price")
    if _is_number(p):
        keys.append(("p", "p:%d" % price_band(float(p))))
    if item.get("title"):
        for t in tokenize(item["title"]):
            keys.append(("t", "t:" + t))
    return keys


def query_feature_keys(query: str) -> list:
    return [("t", "t:" + t) for t in tokenize(query)]


def write_features(keys, buckets: int, slots: int, rows: np.ndarray, weights: np.ndarray, offset: int) -> None:
    """Hashed rows and weights 1/(kept rows of the field) at `offset` (features.ts `writeFeatures`)."""
    kept = keys[:slots]
    per_field = {}
    for f, _ in kept:
        per_field[f] = per_field.get(f, 0) + 1
    for s in range(slots):
        if s < len(kept):
            f, k = kept[s]
            rows[offset + s] = feature_row(k, buckets)
            weights[offset + s] = np.float32(1.0 / per_field[f])
        else:
            rows[offset + s] = 0
            weights[offset + s] = 0.0


def item_features(items, buckets: int, slots: int):
    """Feature rows [n, slots] (int64) and weights [n, slots] (float32) of a list of items."""
    n = len(items)
    rows = np.zeros(n * slots, dtype=np.int64)
    w = np.zeros(n * slots, dtype=np.float32)
    for i, it in enumerate(items):
        write_features(item_feature_keys(it), buckets, slots, rows, w, i * slots)
    return rows.reshape(n, slots), w.reshape(n, slots)


def token_count(e: dict) -> int:
    if e["type"] == "search":
        return 1 if e.get("query") else 0
    return len(e["items"])


def events_to_tokens(events, vocab: dict, cfg: dict, max_tokens=None) -> dict:
    """Tokens of `events` (oldest first), keeping the newest `max_tokens` (tokens.ts `eventsToTokens`)."""
    total = sum(token_count(e) for e in events)
    n = total if max_tokens is None else min(total, max_tokens)
    skip = total - n
    F, buckets = cfg["featSlots"], cfg["featBuckets"]
    rows = np.zeros(n, dtype=np.int64)
    feats = np.zeros(n * F, dtype=np.int64)
    featw = np.zeros(n * F, dtype=np.float32)
    types = np.zeros(n, dtype=np.int64)
    times = np.zeros(n, dtype=np.float64)
    k = 0
    for e in events:
        c = token_count(e)
        if skip >= c:
            skip -= c
            continue
        ty = TYPE_INDEX.get(e["type"], 0)
        if e["type"] == "search":
            skip = 0
            rows[k] = ROW_SEARCH
            write_features(query_feature_keys(e.get("query") or ""), buckets, F, feats, featw, k * F)
            types[k] = ty
            times[k] = e["timestamp"]
            k += 1
            continue
        for i in range(skip, len(e["items"])):
            it = e["items"][i]
            rows[k] = vocab.get(it["id"], ROW_OOV)
            write_features(item_feature_keys(it), buckets, F, feats, featw, k * F)
            types[k] = ty
            times[k] = e["timestamp"]
            k += 1
        skip = 0
    return {"length": n, "rows": rows, "feats": feats.reshape(n, F), "featW": featw.reshape(n, F), "types": types, "timesMs": times}


def context_start(n: int, max_len: int) -> int:
    """config.ts `contextStart`: ⌈max(0, n − maxLen)/step⌉·step, step = max(1, ⌊maxLen/4⌋)."""
    step = max(1, max_len // 4)
    return -(-max(0, n - max_len) // step) * step
