"""Conformance helpers for the TypeScript test suite (src/offline/torch/torch.test.ts).

    python3 -m localrank_torch.conform features ITEMS.jsonl CFG.json OUT.bin
    python3 -m localrank_torch.conform init CFG.json SEED OUT.bin
    python3 -m localrank_torch.conform scores SPEC.json OUT.json
    python3 -m localrank_torch.conform step SPEC.json OUT.json

Each writes what the PyTorch side computes; the test computes the same with the TypeScript code
and compares. Nothing here is used in training.
"""
import json
import math
import sys

import numpy as np
import torch

from .data import TrainData, epoch_windows, make_batch, to_torch
from .export import export_model, read_model
from .features import context_start, events_to_tokens, item_features, FIRST_ITEM_ROW
from .model import Encoder, init_weights, param_shapes
from .rng import Mulberry32


def cmd_features(items_path, cfg_path, out_path):
    cfg = json.load(open(cfg_path))
    items = [json.loads(l) for l in open(items_path, encoding="utf-8") if l.strip()]
    rows, w = item_features(items, cfg["featBuckets"], cfg["featSlots"])
    with open(out_path, "wb") as f:
        f.write(rows.astype("<i4").tobytes())
        f.write(w.astype("<f4").tobytes())


def cmd_init(cfg_path, seed, out_path):
    cfg = json.load(open(cfg_path))
    w = init_weights(cfg, int(seed))
    with open(out_path, "wb") as f:
        for name, _ in param_shapes(cfg):
            f.write(w[name].astype("<f4").tobytes())


def user_scores(model, cfg, vocab, events, candidates, now_ms):
    """Scores of `candidates` after `events` at `now_ms`, as the browser session computes them:
    the newest context (contextStart), times from the context's first token, the gate at now."""
    d = cfg["d"]
    events = sorted(events, key=lambda e: e["timestamp"])
    total = sum((1 if e.get("query") else 0) if e["type"] == "search" else len(e["items"]) for e in events)
    start = context_start(total, cfg["maxLen"])
    tok = events_to_tokens(events, vocab, cfg, total - start)
    with torch.no_grad():
        if tok["length"] == 0:
            u = torch.zeros(1, d)
        else:
            unit = cfg["timeUnitSec"] * 1000.0
            T = lambda a: torch.from_numpy(np.ascontiguousarray(a))
            times = ((tok["timesMs"] - tok["timesMs"][0]) / unit).astype(np.float32)
            e, _ = model.embed_items(T(tok["rows"]).view(1, -1), T(tok["feats"]).unsqueeze(0), T(tok["featW"]).unsqueeze(0))
            s, l, _ = model.encode(e, T(tok["types"]).view(1, -1), T(times).view(1, -1))
            gap = math.log1p(max(0.0, (now_ms - tok["timesMs"][-1]) / 1000.0) / cfg["timeUnitSec"])
            u = model.fuse(s[:, -1], l[:, -1], torch.tensor([gap], dtype=torch.float32))
        cf, cw = item_features(candidates, cfg["featBuckets"], cfg["featSlots"])
        rows = np.array([vocab.get(c["id"], 1) for c in candidates], dtype=np.int64)
        ce, cb = model.embed_items(torch.from_numpy(rows), torch.from_numpy(cf), torch.from_numpy(cw))
        return (u @ ce.t() + cb).view(-1).tolist()


def cmd_scores(spec_path, out_path):
    """SPEC: {cfg, seed, dir, dir16, cases: [{events, candidates, nowMs}]}. Builds a model from
    the seed (zero biases replaced by small values, so every weight matters), exports it as
    float32 to `dir` and float16 to `dir16`, and scores every case with the in-memory model and
    with the float16-rounded weights read back from `dir16`."""
    spec = json.load(open(spec_path, encoding="utf-8"))
    cfg = spec["cfg"]
    w = init_weights(cfg, spec["seed"])
    k = 0
    for name, _ in param_shapes(cfg):
        flat = w[name].reshape(-1)
        for i in range(flat.size):
            if flat[i] == 0:
                k += 1
                flat[i] = np.float32(math.sin(k) * 0.05)
    vocab_ids = spec["vocab"]
    model = Encoder(cfg, w).eval()
    export_model(spec["dir"], cfg, vocab_ids, model.weights(), "float32", license="conformance fixture")
    export_model(spec["dir16"], cfg, vocab_ids, model.weights(), "float16", license="conformance fixture")
    if spec.get("dir8"):
        export_model(spec["dir8"], cfg, vocab_ids, model.weights(), "uint8", training={"note": "uint8 fixture", "x": 1e-7})
    _, w16 = read_model(spec["dir16"])
    model16 = Encoder(cfg, w16).eval()
    vocab = {id_: i + FIRST_ITEM_ROW for i, id_ in enumerate(vocab_ids)}
    out = {"scores": [], "scores16": []}
    for c in spec["cases"]:
        out["scores"].append(user_scores(model, cfg, vocab, c["events"], c["candidates"], c["nowMs"]))
        out["scores16"].append(user_scores(model16, cfg, vocab, c["events"], c["candidates"], c["nowMs"]))
    json.dump(out, open(out_path, "w"))


def cmd_step(spec_path, out_path):
    """SPEC: {prepared, seed, len, batch, negatives, idDropout, inBatch, lr}. From init_weights(seed)
    and the first batch of epoch 1 (the trainer's stream): the loss, one Adam step, the loss
    again on the same batch; plus the batch itself for comparison."""
    spec = json.load(open(spec_path))
    data = TrainData(spec["prepared"])
    cfg = data.cfg
    rand = Mulberry32((spec["seed"] * 1_000_003 + 1) & 0xFFFFFFFF)
    windows = epoch_windows(data.train_len, spec["len"], rand)
    batch = make_batch(data, windows[: spec["batch"]], spec["len"], spec["negatives"], spec["idDropout"], spec["inBatch"], rand)
    model = Encoder(cfg, init_weights(cfg, spec["seed"]))
    opt = torch.optim.Adam(model.parameters(), lr=spec["lr"], betas=(0.9, 0.999), eps=1e-7)
    tb = to_torch(batch, "cpu")
    model.train()
    losses = []
    for _ in range(spec.get("steps", 1)):
        opt.zero_grad()
        loss = model(tb, 0.0)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    with torch.no_grad():
        losses.append(float(model(tb, 0.0)))
    out = {"losses": losses, "windows": [list(w) for w in windows[: spec["batch"]]]}
    for k in ("uRows", "tok", "types", "pos", "target", "neg", "negMask", "negLogQ", "posLogQ", "uFeats", "uFeatW"):
        out[k] = np.asarray(batch[k]).reshape(-1).tolist()
    out["times"] = batch["times"].tolist()
    out["gapLog"] = batch["gapLog"].tolist()
    json.dump(out, open(out_path, "w"))


def cmd_fullstep(spec_path, out_path):
    """SPEC: {prepared, seed, len, batch, idDropout, lr, steps}. The full-softmax loss (loss="full")
    on the first batch of epoch 1 from init_weights(seed), then `steps` Adam steps on that batch
    and the loss after each; plus the batch's targets' catalogue columns, for the TypeScript side
    to compute the same loss as its sampled softmax with every vocabulary item a negative."""
    spec = json.load(open(spec_path))
    data = TrainData(spec["prepared"])
    cfg = data.cfg
    rand = Mulberry32((spec["seed"] * 1_000_003 + 1) & 0xFFFFFFFF)
    windows = epoch_windows(data.train_len, spec["len"], rand)
    batch = make_batch(data, windows[: spec["batch"]], spec["len"], 0, spec["idDropout"], False, rand, full=True)
    model = Encoder(cfg, init_weights(cfg, spec["seed"]))
    opt = torch.optim.Adam(model.parameters(), lr=spec["lr"], betas=(0.9, 0.999), eps=1e-7)
    tb = to_torch(batch, "cpu")
    model.train()
    losses = []
    for _ in range(spec["steps"]):
        opt.zero_grad()
        loss = model(tb, 0.0, "full")
        loss.backward()
        opt.step()
        losses.append(float(loss))
    with torch.no_grad():
        losses.append(float(model(tb, 0.0, "full")))
    out = {"losses": losses, "windows": [list(w) for w in windows[: spec["batch"]]], "targetCol": batch["targetCol"].tolist(), "fullRows": batch["fullRows"].tolist()}
    json.dump(out, open(out_path, "w"))


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"features": cmd_features, "init": cmd_init, "scores": cmd_scores, "step": cmd_step, "fullstep": cmd_fullstep}[cmd](*args)
