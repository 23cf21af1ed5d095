"""Validation NDCG@10 for model selection (a port of src/offline/train/evaluate.ts).

The candidate lists are the evaluation harness's own (uniform-100, protocol seed), written by
prepare.ts, so the selection sees exactly the lists the TypeScript trainer scores. Ties are
handled as metrics/rank.ts `expected` does: the held-out item is equally likely anywhere in
its tied block.
"""
import math

import numpy as np
import torch

from .features import context_start


def rank_metrics(scores: np.ndarray, target_col: int = 0):
    """Per row: HR@10, NDCG@10 and reciprocal rank under expected tie handling."""
    t = scores[:, target_col : target_col + 1]
    greater = (scores > t).sum(1)
    ties = (scores == t).sum(1) - 1
    hr = np.zeros(len(scores))
    nd = np.zeros(len(scores))
    rr = np.zeros(len(scores))
    for i, (g, k) in enumerate(zip(greater.tolist(), ties.tolist())):
        hr[i] = max(0, min(10, g + k + 1) - g) / (k + 1)
        hi = min(g + k, 9)
        nd[i] = sum(1 / math.log2(p + 2) for p in range(g, hi + 1)) / (k + 1) if g <= 9 else 0.0
        rr[i] = sum(1 / (p + 1) for p in range(g, g + k + 1)) / (k + 1)
    return hr, nd, rr


def encode_users(model, data, queries, max_len: int, device, batch_size: int = 128) -> torch.Tensor:
    """User vectors [n, d] for (user, end, nowMs) queries: the newest tokens before `end` within
    the inference context (contextStart), fused at `nowMs` (evaluate.ts `encodeUsers`)."""
    cfg = model.cfg
    d, F = cfg["d"], cfg["featSlots"]
    unit = cfg["timeUnitSec"] * 1000.0
    out = torch.zeros(len(queries), d)
    order = sorted(range(len(queries)), key=lambda i: queries[i][1])
    with torch.no_grad():
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            lens = [queries[i][1] - context_start(queries[i][1], max_len) for i in idx]
            L = max(1, max(lens))
            B = len(idx)
            cats = np.zeros((B, L), dtype=np.int64)
            valid = np.zeros((B, L), dtype=bool)
            types = np.zeros((B, L), dtype=np.int64)
            times = np.zeros((B, L), dtype=np.float32)
            last = np.zeros(B, dtype=np.int64)
            gaps = np.zeros(B, dtype=np.float32)
            for b, qi in enumerate(idx):
                u, end, now = queries[qi]
                items, tys, tms = data.user(u)
                n = lens[b]
                st = end - n
                t0 = float(tms[st]) if n else 0.0
                cats[b, :n] = items[st:end]
                valid[b, :n] = True
                types[b, :n] = tys[st:end]
                times[b, :n] = (np.asarray(tms[st:end], dtype=np.float64) - t0) / unit
                last[b] = b * L + max(0, n - 1)
                prev = float(tms[end - 1]) if end > 0 else now
                gaps[b] = math.log1p(max(0.0, (now - prev) / 1000.0) / cfg["timeUnitSec"])
            rows = np.where(valid, data.row[cats], 0)
            fe = np.where(valid[..., None], data.feats[cats], 0)
            fw = np.where(valid[..., None], data.featw[cats], 0).astype(np.float32)
            T = lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(device)
            e, _ = model.embed_items(T(rows), T(fe), T(fw))
            sh, lo, _ = model.encode(e, T(types), T(times))
            li = T(last)
            u = model.fuse(sh.reshape(B * L, d)[li], lo.reshape(B * L, d)[li], T(gaps))
            out[torch.as_tensor(idx)] = u.cpu()
    return out


def full_ranks(scores: torch.Tensor, data, users, targets) -> tuple:
    """HR@10 and NDCG@10 sums of full ranking (the harness's `full` protocol): each target
    against every catalogue item the user never interacted with (train, validation and test
    items), ties counted as `rank_metrics` counts them."""
    hr = nd = 0.0
    for i, u in enumerate(users):
        row = scores[i].clone()
        items, _, _ = data.user(int(u))
        t = int(targets[i])
        ts = float(row[t])
        row[torch.as_tensor(np.asarray(items, dtype=np.int64))] = -np.inf
        g = int((row > ts).sum())
        k = int((row == ts).sum())  # the target itself is masked: k ties besides it
        h, n, _ = rank_metrics(np.array([[ts] + [np.inf] * g + [ts] * k]))
        hr += float(h[0])
        nd += float(n[0])
    return hr, nd


def evaluate_val(model, data, max_len: int, device, rank: int = 0, world: int = 1, with_full: bool = False):
    """Sums (hr, ndcg, mrr, users) of this rank's share of the validation queries; with
    `with_full`, also (full HR@10, full NDCG@10)."""
    qs = [(int(u), int(data.val_at[u]), float(data.seq_times[int(data.offsets[u]) + int(data.val_at[u])])) for u in data.val_users]
    mine = list(range(rank, len(qs), world))
    if not mine:
        return np.zeros(6 if with_full else 4)
    was = model.training
    model.eval()
    try:
        vecs = encode_users(model, data, [qs[i] for i in mine], max_len, device)
        with torch.no_grad():
            T = lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(device)
            e_all, b_all = model.embed_items(T(data.row), T(data.feats), T(data.featw))
            raw = data.val_cands[mine].astype(np.int64)
            cands = T(np.maximum(raw, 0))
            scores = ((e_all[cands] * vecs.to(device).unsqueeze(1)).sum(-1) + b_all[cands]).cpu().numpy().astype(np.float64)
            scores[raw < 0] = -np.inf  # padding of a short list (small catalogue): never ahead, never tied
            if with_full:
                users = [int(data.val_users[i]) for i in mine]
                targets = raw[:, 0]
                fh = fn = 0.0
                for c in range(0, len(users), 64):
                    sc = (vecs[c : c + 64].to(device) @ e_all.t() + b_all).cpu()
                    h, n = full_ranks(sc, data, users[c : c + 64], targets[c : c + 64])
                    fh += h
                    fn += n
    finally:
        model.train(was)
    hr, nd, rr = rank_metrics(scores)
    if with_full:
        return np.array([hr.sum(), nd.sum(), rr.sum(), len(mine), fh, fn])
    return np.array([hr.sum(), nd.sum(), rr.sum(), len(mine)])
