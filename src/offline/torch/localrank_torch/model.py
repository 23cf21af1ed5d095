"""Port of src/encoder/model.ts to PyTorch: the same weights (names, shapes, manifest order), the
same initialisation from a seed, the same forward pass and gate. See model.ts for the formulas
and the reasons behind them; only PyTorch-specific notes are repeated here.

    token_j   = e(item_j) + type_emb[type_j]
    e(item)   = item_emb[row] + Σ_s w_s·feat_emb[feat_s]
    logits_hij = q_hi·k_hj/√d_h − λ_h·log(1+Δt_ij) − μ_h·log(1+(i−j)) − 10⁹·[j>i]
    s_i = LN_f(h_i),  l_i = LN_l(mean_{j≤i} e(item_j))
    g_i = σ(s_i·W_s + l_i·W_l + w_gap·log(1+gap_i) + b_g),  u_i = g_i ⊙ s_i + (1−g_i) ⊙ l_i
    score(c) = u·e(c) + bias(c)
"""
import math

import numpy as np
import torch
import torch.nn.functional as Fn

from .rng import Mulberry32, gaussian


def param_shapes(cfg: dict):
    """Names and shapes of every weight in manifest order (model.ts `paramShapes`)."""
    d, ffn, H = cfg["d"], cfg["ffn"], cfg["heads"]
    s = [
        ("item_emb", [cfg["vocabSize"], d]),
        ("item_bias", [cfg["vocabSize"]]),
        ("feat_emb", [cfg["featBuckets"], d]),
        ("feat_bias", [cfg["featBuckets"]]),
        ("type_emb", [cfg["numTypes"], d]),
    ]
    for b in range(cfg["blocks"]):
        p = "b%d_" % b
        s += [
            (p + "ln1_g", [d]), (p + "ln1_b", [d]),
            (p + "wq", [d, d]), (p + "wk", [d, d]), (p + "wv", [d, d]),
            (p + "bq", [d]), (p + "bk", [d]), (p + "bv", [d]),
            (p + "wo", [d, d]), (p + "bo", [d]),
            (p + "ln2_g", [d]), (p + "ln2_b", [d]),
            (p + "w1", [d, ffn]), (p + "b1", [ffn]),
            (p + "w2", [ffn, d]), (p + "b2", [d]),
            (p + "dist", [H]),
        ]
        if cfg["timeBias"]:
            s.append((p + "decay", [H]))
    s += [("lnf_g", [d]), ("lnf_b", [d]), ("lnl_g", [d]), ("lnl_b", [d]), ("gate_ws", [d, d]), ("gate_wl", [d, d]), ("gate_b", [d])]
    if cfg["gapGate"]:
        s.append(("gate_wgap", [d]))
    return s


def count_params(cfg: dict) -> int:
    return sum(int(np.prod(sh)) for _, sh in param_shapes(cfg))


def _inv_softplus(y: float) -> float:
    return math.log(math.expm1(y))


def init_weights(cfg: dict, seed: int) -> dict:
    """model.ts `initWeights`, draw for draw (same mulberry32 stream), as float32 numpy arrays."""
    rand = Mulberry32(seed)
    out = {}
    for name, shape in param_shapes(cfg):
        n = int(np.prod(shape))
        leaf = name.split("_", 1)[1] if name[0] == "b" and name[1:2].isdigit() else name
        data = np.zeros(n, dtype=np.float64)
        if name in ("item_emb", "feat_emb", "type_emb"):
            for i in range(n):
                data[i] = 0.05 * gaussian(rand)
            if name == "item_emb":
                data[: cfg["d"]] = 0.0
        elif leaf.endswith("_g"):
            data[:] = 1.0
        elif leaf == "decay":
            for h in range(n):
                data[h] = _inv_softplus(0.3 if n == 1 else 0.05 * math.pow(20, h / (n - 1)))
        elif leaf == "dist":
            data[:] = _inv_softplus(0.1)
        elif len(shape) == 2:
            lim = math.sqrt(6 / (shape[0] + shape[1]))
            for i in range(n):
                data[i] = (2 * rand() - 1) * lim
        out[name] = data.astype(np.float32).reshape(shape)
    return out


def layer_norm(x, g, b):
    """LayerNorm over the last axis with ε = 1e-6 inside the variance (model.ts `layerNorm`)."""
    mean = x.mean(-1, keepdim=True)
    c = x - mean
    v = (c * c).mean(-1, keepdim=True)
    return c * torch.rsqrt(v + 1e-6) * g + b


_STATIC = {}


def static_bias(n: int, m: int, device):
    """Causal mask (−10⁹ above the diagonal) and log(1 + distance), query n+i against key j."""
    key = (n, m, str(device))
    hit = _STATIC.get(key)
    if hit is None:
        N = n + m
        dist = (n + np.arange(m)[:, None]) - np.arange(N)[None, :]
        mask = np.where(dist < 0, -1e9, 0.0).astype(np.float32)
        ld = np.where(dist < 0, 0.0, np.log1p(np.maximum(dist, 0))).astype(np.float32)
        hit = (torch.from_numpy(mask).view(1, 1, m, N).to(device), torch.from_numpy(ld).view(1, 1, m, N).to(device))
        if len(_STATIC) > 256:
            _STATIC.clear()
        _STATIC[key] = hit
    return hit


class Encoder(torch.nn.Module):
    """The encoder's weights as one ParameterDict keyed by the artifact's weight names."""

    def __init__(self, cfg: dict, weights: dict):
        super().__init__()
        self.cfg = dict(cfg)
        self.p = torch.nn.ParameterDict({name: torch.nn.Parameter(torch.as_tensor(np.asarray(weights[name], dtype=np.float32)).reshape(shape).clone()) for name, shape in param_shapes(cfg)})

    # --- items -------------------------------------------------------------------------------
    def embed_items(self, rows, feats, featw):
        """e = item_emb[row] + Σ_s w_s·feat_emb[feat_s]; bias likewise. rows [...S], feats/featw [...S, F]."""
        p = self.p
        e = p["item_emb"][rows] + (p["feat_emb"][feats] * featw.unsqueeze(-1)).sum(-2)
        bias = p["item_bias"][rows] + (p["feat_bias"][feats] * featw).sum(-1)
        return e, bias

    # --- sequence ----------------------------------------------------------------------------
    def encode(self, e, types, times, dropout: float = 0.0, past=None, keep_cache: bool = False):
        """model.ts `forward`: short- and long-term vectors [B, m, d] for m new tokens per row,
        attending causally to themselves and to `past` (a KV cache from an earlier call)."""
        cfg, p = self.cfg, self.p
        B, m = types.shape
        d, H = cfg["d"], cfg["heads"]
        dh = d // H
        n = past["n"] if past else 0
        N = n + m
        drop = (lambda x: Fn.dropout(x, dropout, True)) if dropout > 0 and self.training else (lambda x: x)
        h = drop(e + p["type_emb"][types])
        mask, log_dist = static_bias(n, m, e.device)
        key_times = torch.cat([past["times"], times], 1) if past else times
        log_dt = torch.log1p(torch.relu(times.unsqueeze(2) - key_times.unsqueeze(1))).unsqueeze(1) if cfg["timeBias"] else None
        blocks = []
        for b in range(cfg["blocks"]):
            q_ = "b%d_" % b
            a = layer_norm(h, p[q_ + "ln1_g"], p[q_ + "ln1_b"])
            q = (a @ p[q_ + "wq"] + p[q_ + "bq"]).view(B, m, H, dh).transpose(1, 2)
            k = (a @ p[q_ + "wk"] + p[q_ + "bk"]).view(B, m, H, dh).transpose(1, 2)
            v = (a @ p[q_ + "wv"] + p[q_ + "bv"]).view(B, m, H, dh).transpose(1, 2)
            if past:
                k = torch.cat([past["blocks"][b][0], k], 2)
                v = torch.cat([past["blocks"][b][1], v], 2)
            if keep_cache:
                blocks.append((k, v))
            logits = (q @ k.transpose(2, 3)) * (1.0 / math.sqrt(dh))
            logits = logits - Fn.softplus(p[q_ + "dist"]).view(1, H, 1, 1) * log_dist
            if log_dt is not None:
                logits = logits - Fn.softplus(p[q_ + "decay"]).view(1, H, 1, 1) * log_dt
            att = torch.softmax(logits + mask, -1)
            ctx = (att @ v).transpose(1, 2).reshape(B, m, d)
            h = h + drop(ctx @ p[q_ + "wo"] + p[q_ + "bo"])
            a2 = layer_norm(h, p[q_ + "ln2_g"], p[q_ + "ln2_b"])
            f1 = torch.relu(a2 @ p[q_ + "w1"] + p[q_ + "b1"])
            f2 = drop(f1) @ p[q_ + "w2"] + p[q_ + "b2"]
            h = h + drop(f2)
        s = layer_norm(h, p["lnf_g"], p["lnf_b"])
        cum = torch.cumsum(e, 1)
        if past:
            cum = cum + past["sumE"].unsqueeze(1)
        counts = torch.arange(n + 1, N + 1, dtype=e.dtype, device=e.device).view(1, m, 1)
        l = layer_norm(cum / counts, p["lnl_g"], p["lnl_b"])
        cache = {"blocks": blocks, "times": key_times, "sumE": cum[:, -1], "n": N} if keep_cache else None
        return s, l, cache

    def fuse(self, s, l, gap_log=None):
        """g = σ(s·W_s + l·W_l + w_gap·gapLog + b_g), u = g ⊙ s + (1−g) ⊙ l."""
        p = self.p
        gz = s @ p["gate_ws"] + l @ p["gate_wl"] + p["gate_b"]
        if self.cfg["gapGate"] and gap_log is not None:
            gz = gz + gap_log.unsqueeze(-1) * p["gate_wgap"]
        g = torch.sigmoid(gz)
        return g * s + (1 - g) * l

    # --- training ----------------------------------------------------------------------------
    def forward(self, batch: dict, dropout: float = 0.0, loss: str = "softmax", gbce_beta: float = 1.0):
        """The training loss of the next item. s = u_t·e + bias, every item scored as the browser
        scores it (src/encoder/items.ts: its id row, or the out-of-vocabulary row, plus its content).

        - `softmax` (loss.ts `batchLoss`, the sampled softmax): ℓ_t = −log(exp(s⁺_t) / (exp(s⁺_t) + Σ_k exp(s_tk))) over
          K shared negatives (− log Q with in-batch negatives);
        - `full`: the same cross-entropy with every vocabulary item as a negative (`batch["full*"]`,
          make_batch with loss="full"): the softmax the full-ranking protocol ranks by, so popular
          items are not over-rewarded the way K uniform negatives reward them;
        - `gbce` (loss.ts `gbce`, gSASRec): β·softplus(−s⁺_t) + Σ_k softplus(s_tk) over the sampled negatives.
        """
        d = self.cfg["d"]
        B, L = batch["B"], batch["L"]
        e, bias = self.embed_items(batch["uRows"], batch["uFeats"], batch["uFeatW"])
        tok_e = e[batch["tok"]].view(B, L, d)
        s, l, _ = self.encode(tok_e, batch["types"].view(B, L), batch["times"].view(B, L), dropout)
        pos = batch["pos"]
        u = self.fuse(s.reshape(B * L, d)[pos], l.reshape(B * L, d)[pos], batch["gapLog"])
        t = batch["target"]
        pos_logit = (u * e[t]).sum(1) + bias[t]
        if loss == "full":
            # Every vocabulary item is a column, with its id (or, for a share id_dropout of the
            # columns, only its content: the OOV path is trained as a negative as often as it is
            # an input, as in batches.ts). The target's own column is masked: its logit is the
            # positive (the same value unless one of the two lost its id).
            # [positions × vocabulary] is the big tensor (2,016 × 9,681 on ml-latest-small): one
            # fused addmm, the mask written in place, and log(e^pos + Σ e^neg) as logaddexp
            # instead of a concatenated copy.
            fe, fb = self.embed_items(batch["fullRows"], batch["fullFeats"], batch["fullFeatW"])
            neg_logits = torch.addmm(fb, u, fe.t())
            neg_logits[torch.arange(t.numel(), device=u.device), batch["targetCol"]] = -1e9
            return (torch.logaddexp(torch.logsumexp(neg_logits, 1), pos_logit) - pos_logit).mean()
        if batch["posLogQ"].numel():
            pos_logit = pos_logit - batch["posLogQ"]
        ng = batch["neg"]
        neg_logits = u @ e[ng].t() + bias[ng] + batch["negMask"].view(pos.numel(), ng.numel())
        if batch["negLogQ"].numel():
            neg_logits = neg_logits - batch["negLogQ"]
        if loss == "gbce":
            return (gbce_beta * Fn.softplus(-pos_logit) + Fn.softplus(neg_logits).sum(1)).mean()
        logits = torch.cat([pos_logit.unsqueeze(1), neg_logits], 1)
        return (torch.logsumexp(logits, 1) - logits[:, 0]).mean()

    def weights(self) -> dict:
        """Float32 numpy copies of every weight, by name."""
        return {k: v.detach().cpu().float().numpy().copy() for k, v in self.p.items()}
