"""The prepared training data (written by src/offline/torch/prepare.ts), epoch windows and batches.

Ports src/offline/train/batches.ts exactly, with the same mulberry32 stream: on one process, a
seed draws the same windows, id dropouts and negatives as the TypeScript trainer.

Files of a prepared directory (little-endian):
  meta.json          config (with vocabSize), vocab, counts, licence, dataset name
  items.jsonl        one catalogue item per line (id, category, brand, price, title)
  seq_items.i32      catalogue index per token, users concatenated
  seq_types.i32      event-type index per token
  seq_times.f64      event time per token, ms since the epoch
  user_offsets.i64   [users + 1] token offsets
  user_meta.i32      [users, 3]: training length, validation index, test index (−1: none)
  val_cands.i32      [queries, 1 + negatives]: catalogue indices, the held-out item first, −1 = padding
  val_users.i32      [queries]: user of each validation query
The arrays are memory-mapped, so a rank touches only the pages of the users it reads.
"""
import json
import math
import os

import numpy as np

from .features import FIRST_ITEM_ROW, ROW_OOV, item_features


class TrainData:
    def __init__(self, dirpath: str):
        self.dir = dirpath
        with open(os.path.join(dirpath, "meta.json"), encoding="utf-8") as f:
            self.meta = json.load(f)
        self.cfg = dict(self.meta["config"])
        self.vocab = self.meta["vocab"]
        mm = lambda name, dt: np.memmap(os.path.join(dirpath, name), dtype=dt, mode="r") if os.path.getsize(os.path.join(dirpath, name)) else np.zeros(0, dt)
        self.seq_items = mm("seq_items.i32", "<i4")
        self.seq_types = mm("seq_types.i32", "<i4")
        self.seq_times = mm("seq_times.f64", "<f8")
        self.offsets = np.fromfile(os.path.join(dirpath, "user_offsets.i64"), dtype="<i8")
        um = np.fromfile(os.path.join(dirpath, "user_meta.i32"), dtype="<i4").reshape(-1, 3)
        self.train_len, self.val_at, self.test_at = um[:, 0], um[:, 1], um[:, 2]
        nc = self.meta["valCandidates"]
        self.val_cands = np.fromfile(os.path.join(dirpath, "val_cands.i32"), dtype="<i4").reshape(-1, nc)
        self.val_users = np.fromfile(os.path.join(dirpath, "val_users.i32"), dtype="<i4")
        items = []
        with open(os.path.join(dirpath, "items.jsonl"), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    items.append(json.loads(line))
        self.items = items
        self.catalogue_index = {it["id"]: i for i, it in enumerate(items)}
        C = len(items)
        vocab_row = {id_: i + FIRST_ITEM_ROW for i, id_ in enumerate(self.vocab)}
        self.row = np.array([vocab_row.get(it["id"], ROW_OOV) for it in items], dtype=np.int64)
        # Content features with the ported hashing (features.py), not copied from the TS side:
        # the conformance test compares them with buildTrainData's.
        self.feats, self.featw = item_features(items, self.cfg["featBuckets"], self.cfg["featSlots"])
        self.vocab_catalogue = np.array([self.catalogue_index[i] for i in self.vocab], dtype=np.int64)
        # Catalogue index → its column in the full softmax (−1: no vocabulary row; such items are
        # never training targets, since the vocabulary is built from training interactions).
        self.vocab_col = np.full(C, -1, dtype=np.int64)
        self.vocab_col[self.vocab_catalogue] = np.arange(len(self.vocab_catalogue))
        # Share of training tokens per catalogue item (data.ts `freq`).
        counts = np.zeros(C, dtype=np.float64)
        total = 0
        for u in range(self.users):
            a = self.offsets[u]
            t = int(self.train_len[u])
            if t:
                np.add.at(counts, np.asarray(self.seq_items[a : a + t]), 1.0)
                total += t
        self.freq = counts / max(1, total)
        self.train_tokens = total

    @property
    def users(self) -> int:
        return len(self.offsets) - 1

    def user(self, u: int):
        a, b = int(self.offsets[u]), int(self.offsets[u + 1])
        return self.seq_items[a:b], self.seq_types[a:b], self.seq_times[a:b]


def epoch_windows(train_len, L: int, rand) -> list:
    """batches.ts `epochWindows`: windows tiling every training target once, then Fisher–Yates."""
    out = []
    for ui in range(len(train_len)):
        n = int(train_len[ui])
        if n < 2:
            continue
        end = n
        ln = 2 + int(math.floor(rand() * (L - 1)))
        while True:
            start = max(0, end - ln)
            out.append((ui, start, end))
            if start == 0:
                break
            end = start + 1
            ln = L
    for i in range(len(out) - 1, 0, -1):
        j = int(math.floor(rand() * (i + 1)))
        out[i], out[j] = out[j], out[i]
    return out


def make_batch(data: TrainData, windows, L: int, negatives: int, id_dropout: float, in_batch: bool, rand, full: bool = False) -> dict:
    """batches.ts `makeBatch`, draw for draw: unique items, right-padded tokens, next-item targets,
    K shared uniform negatives without replacement (accidental hits masked to −10⁹), and with
    `in_batch` the batch's targets as log-Q-corrected negatives.

    With `full` (the full-softmax loss, PyTorch only) no negatives are drawn: every vocabulary
    item is a column (`fullRows`, `fullFeats`, `fullFeatW`, and `targetCol`, each target's column),
    and each column loses its id with probability `id_dropout`, from a generator seeded by one
    draw of `rand` (vectorised: 9,684 per-item draws per step would dominate the step)."""
    cfg = data.cfg
    B = len(windows)
    unit = cfg["timeUnitSec"] * 1000.0
    key_index = {}
    u_rows = []
    u_cat = []

    def unique(cat: int, dropped: bool) -> int:
        key = cat * 2 + (1 if dropped else 0)
        k = key_index.get(key)
        if k is None:
            k = len(u_rows)
            key_index[key] = k
            u_rows.append(ROW_OOV if dropped else int(data.row[cat]))
            u_cat.append(cat)
        return k

    tok = np.zeros(B * L, dtype=np.int64)
    types = np.zeros(B * L, dtype=np.int64)
    times = np.zeros(B * L, dtype=np.float32)
    pos, target, target_cat, gap_log = [], [], [], []
    tokens = 0
    for b, (ui, ws, we) in enumerate(windows):
        items, tys, tms = data.user(ui)
        t0 = float(tms[ws])
        m = we - ws
        tokens += m
        local = []
        for i in range(m):
            cat = int(items[ws + i])
            dropped = id_dropout > 0 and rand() < id_dropout
            local.append(unique(cat, dropped))
            tok[b * L + i] = local[i]
            types[b * L + i] = tys[ws + i]
            times[b * L + i] = (float(tms[ws + i]) - t0) / unit
        for i in range(m - 1):
            pos.append(b * L + i)
            target.append(local[i + 1])
            target_cat.append(int(items[ws + i + 1]))
            gap_log.append(math.log1p(max(0.0, float(tms[ws + i + 1]) - float(tms[ws + i])) / unit))
    V = len(data.vocab_catalogue)
    if full:
        g = np.random.default_rng(int(rand() * 4294967296))
        drop = g.random(V) < id_dropout if id_dropout > 0 else np.zeros(V, dtype=bool)
        ucat = np.array(u_cat, dtype=np.int64)
        vc = data.vocab_catalogue
        empty_f = np.zeros(0, np.float32)
        return {
            "B": B, "L": L,
            "uRows": np.array(u_rows, dtype=np.int64), "uFeats": data.feats[ucat], "uFeatW": data.featw[ucat],
            "tok": tok, "types": types, "times": times,
            "pos": np.array(pos, dtype=np.int64), "target": np.array(target, dtype=np.int64), "gapLog": np.array(gap_log, dtype=np.float32),
            "neg": np.zeros(0, np.int64), "negMask": empty_f, "negLogQ": empty_f, "posLogQ": empty_f,
            "fullRows": np.where(drop, ROW_OOV, data.row[vc]), "fullFeats": data.feats[vc], "fullFeatW": data.featw[vc],
            "targetCol": data.vocab_col[np.array(target_cat, dtype=np.int64)],
            "tokens": tokens,
        }
    K = min(negatives, V)
    neg_cat = [int(c) for c in data.vocab_catalogue] if K >= V else []
    taken = set()
    while len(neg_cat) < K:
        c = int(data.vocab_catalogue[int(math.floor(rand() * V))])
        if c in taken:
            continue
        taken.add(c)
        neg_cat.append(c)
    uniform_k = len(neg_cat)
    if in_batch:
        for c in dict.fromkeys(target_cat):
            if c not in taken and data.row[c] != ROW_OOV:
                taken.add(c)
                neg_cat.append(c)
    neg_col = {c: j for j, c in enumerate(neg_cat)}
    nt = len(target_cat)

    def log_q(c: int) -> float:
        pi = 1 - math.pow(1 - data.freq[c], nt)
        return math.log(max(1e-12, 1 - (1 - uniform_k / V) * (1 - pi)))

    neg_logq = np.array([log_q(c) for c in neg_cat], dtype=np.float32) if in_batch else np.zeros(0, np.float32)
    pos_logq = np.array([log_q(c) for c in target_cat], dtype=np.float32) if in_batch else np.zeros(0, np.float32)
    # Negatives lose their id like input tokens (batches.ts: the content-only path must be
    # trained as a negative too, or unseen items top every list), drawn in the same order.
    neg = np.array([unique(c, id_dropout > 0 and rand() < id_dropout) for c in neg_cat], dtype=np.int64)
    KN = len(neg_cat)
    neg_mask = np.zeros(nt * KN, dtype=np.float32)
    for t, c in enumerate(target_cat):
        j = neg_col.get(c)
        if j is not None:
            neg_mask[t * KN + j] = -1e9
    ucat = np.array(u_cat, dtype=np.int64)
    return {
        "B": B,
        "L": L,
        "uRows": np.array(u_rows, dtype=np.int64),
        "uFeats": data.feats[ucat],
        "uFeatW": data.featw[ucat],
        "tok": tok,
        "types": types,
        "times": times,
        "pos": np.array(pos, dtype=np.int64),
        "target": np.array(target, dtype=np.int64),
        "gapLog": np.array(gap_log, dtype=np.float32),
        "neg": neg,
        "negMask": neg_mask,
        "negLogQ": neg_logq,
        "posLogQ": pos_logq,
        "tokens": tokens,
    }


def to_torch(batch: dict, device) -> dict:
    import torch

    return {k: (torch.from_numpy(np.ascontiguousarray(v)).to(device) if isinstance(v, np.ndarray) else v) for k, v in batch.items()}
