"""Train the encoder with PyTorch, one process or many (torchrun → DDP).

    python3 -m torch.distributed.run --nproc_per_node N -m localrank_torch.train --prepared DIR --out DIR [flags]

(`npm run train:torch` prepares the data and runs this for you.) The recipe is the TypeScript
trainer's (src/offline/train/trainer.ts): Adam on the loss of --loss (default: its sampled softmax) over shuffled
windows, validation NDCG@10 (uniform-100) every `--eval-every` epochs, early stopping with
`--patience`, a time budget, then the inference context length chosen on validation among
`--eval-lens`, and the best weights exported as the browser artifact.

Distribution (DDP; gloo on CPU, NCCL on GPU):
- Every rank draws the same epoch windows from the seed; step s takes the global batch
  windows[s·batch : (s+1)·batch] and rank r keeps every world-th of them (data sharded by
  rank; `--batch` is the global batch, so the recipe does not change with the world size).
- Each rank draws its own id dropouts and negatives; DDP averages the gradients.
- Validation queries are sharded the same way and the sums all-reduced.
- Rank 0 writes checkpoints and the artifact.
With one process the windows, id dropouts and negatives are the TypeScript trainer's, draw for draw.
"""
import argparse
import json
import math
import os
import signal
import sys
import time

import numpy as np
import torch
import torch.distributed as dist

from .data import TrainData, epoch_windows, make_batch, to_torch
from .evaluate import evaluate_val
from .export import export_model, read_model
from .model import Encoder, count_params, init_weights
from .rng import Mulberry32


def parse(argv):
    p = argparse.ArgumentParser(prog="localrank_torch.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--prepared", required=True, help="directory written by src/offline/torch/prepare.ts")
    p.add_argument("--out", help="export directory for model.json + weights.bin (omit with --no-export)")
    p.add_argument("--no-export", action="store_true")
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many optimiser steps in total (smoke runs); 0 = no limit")
    p.add_argument("--batch", type=int, default=32, help="windows per optimiser step, across all ranks")
    p.add_argument("--len", type=int, default=64)
    p.add_argument("--negatives", type=int, default=256)
    p.add_argument("--in-batch", action="store_true")
    p.add_argument("--loss", default="softmax", choices=["softmax", "full", "gbce"],
                   help="softmax: sampled softmax over --negatives (the TS trainer's --loss softmax); full: softmax over the whole vocabulary; gbce: gSASRec's generalised BCE over --negatives")
    p.add_argument("--gbce-t", type=float, default=0.75, help="gBCE calibration t (0: plain BCE, 1: fully calibrated)")
    p.add_argument("--init-model", default="", help="start from the weights of an exported artifact (model.json + weights.bin) with the same config and vocabulary: fine-tuning")
    p.add_argument("--select", default="uniform", choices=["uniform", "full", "sum"],
                   help="validation NDCG@10 that picks the best epoch and the context length: uniform-100 (the TS trainer's), full ranking, or their sum")
    p.add_argument("--lr", type=float, default=0.001)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--id-dropout", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--eval-every", type=int, default=3)
    p.add_argument("--patience", type=int, default=5)
    p.add_argument("--max-minutes", type=float, default=55)
    p.add_argument("--eval-lens", default="50,100,200")
    p.add_argument("--quantize", default="float16", choices=["float32", "float16", "uint8"])
    p.add_argument("--checkpoint", default="", help="checkpoint directory ('' = none)")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--report", default="", help="JSON report file")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads per process (0 = torch's default)")
    p.add_argument("--ema", type=float, default=0.0,
                   help="validate, select and export an exponential moving average of the weights with this decay per step (0 = off; e.g. 0.999)")
    p.add_argument("--log-every", type=int, default=0, help="log the running loss every N steps (0 = per epoch)")
    a = p.parse_args(argv)
    if not a.no_export and not a.out:
        p.error("--out DIR is required (or --no-export)")
    if a.loss != "softmax" and a.in_batch:
        p.error("--in-batch is the log-Q-corrected sampled softmax; use it with --loss softmax")
    if not 0 <= a.ema < 1:
        p.error("--ema must be in [0, 1) (got %s)" % a.ema)
    if not 0 <= a.gbce_t <= 1:
        p.error("--gbce-t must be in [0, 1] (got %s)" % a.gbce_t)
    return a


class Stop:
    """SIGINT/SIGTERM set a flag; the loop stops at the next step boundary that all ranks agree on
    (every step with one process, every 4 with several)."""

    def __init__(self):
        self.flag = False
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, self._set)

    def _set(self, signum, frame):
        self.flag = True


def log(rank, msg):
    if rank == 0:
        sys.stderr.write(msg + "\n")
        sys.stderr.flush()


def initial_from_artifact(dirpath: str, cfg: dict, vocab: list) -> dict:
    """The weights of an exported artifact, as the start of a fine-tuning run. Its config must be
    the prepared data's (maxLen aside: an export records the context chosen on validation) and
    its vocabulary the same, row for row, or the item rows would mean other items."""
    art, weights = read_model(dirpath)
    theirs = {k: v for k, v in art["config"].items() if k != "maxLen"}
    ours = {k: v for k, v in cfg.items() if k != "maxLen"}
    if theirs != ours:
        raise ValueError("--init-model %s: config %s differs from the prepared data's %s" % (dirpath, json.dumps(theirs, sort_keys=True), json.dumps(ours, sort_keys=True)))
    if list(art["vocab"]) != list(vocab):
        raise ValueError("--init-model %s: its vocabulary (%d items) is not the prepared data's (%d items) in the same order" % (dirpath, len(art["vocab"]), len(vocab)))
    return weights


def save_checkpoint(path, state):
    os.makedirs(path, exist_ok=True)
    tmp = os.path.join(path, "state.pt.tmp")
    torch.save(state, tmp)
    os.replace(tmp, os.path.join(path, "state.pt"))


def main(argv=None):
    a = parse(sys.argv[1:] if argv is None else argv)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = torch.cuda.is_available()
    device = torch.device("cuda", local_rank) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    if a.threads:
        torch.set_num_threads(a.threads)
    if world > 1:
        dist.init_process_group("nccl" if cuda else "gloo")
    stop = Stop()
    t_start = time.time()

    data = TrainData(a.prepared)
    cfg = data.cfg
    log(rank, "torch %s on %s, world %d (%s); data: %s, %d users, %d items, vocabulary %d, %d training tokens; model %s parameters"
        % (torch.__version__, device, world, "nccl" if cuda and world > 1 else "gloo" if world > 1 else "single process",
           data.meta.get("dataset"), data.users, len(data.items), len(data.vocab), data.train_tokens, "{:,}".format(count_params(cfg))))

    prior = None
    ck_file = os.path.join(a.checkpoint, "state.pt") if a.checkpoint else ""
    if a.resume and ck_file and os.path.exists(ck_file):
        prior = torch.load(ck_file, map_location="cpu")
        if prior.get("config") != cfg:
            log(rank, "checkpoint %s was made with another config; starting afresh" % a.checkpoint)
            prior = None
    if prior:
        start = prior["params"]
    elif a.init_model:
        start = initial_from_artifact(a.init_model, cfg, data.vocab)
        log(rank, "starting from the weights of %s" % a.init_model)
    else:
        start = init_weights(cfg, a.seed)
    model = Encoder(cfg, start).to(device)
    full = a.loss == "full"
    V = len(data.vocab)
    # gSASRec eq. 10 (loss.ts gbceBeta): α = K / (V − 1), β = α·(t·(1 − 1/α) + 1/α).
    alpha = min(1.0, min(a.negatives, V) / max(1, V - 1))
    gbce_beta = alpha * (a.gbce_t * (1 - 1 / alpha) + 1 / alpha)
    # tfjs's Adam: ε = 1e-7 (its float32 backend epsilon), same update rule as torch's.
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-7)
    if prior:
        opt.load_state_dict(prior["adam"])
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    best = prior["best"] if prior else model.weights()
    best_epoch = prior["bestEpoch"] if prior else 0
    best_val = prior["bestVal"] if prior else None
    since_best = prior["sinceBest"] if prior else 0
    history = prior["history"] if prior else []
    prior_seconds = prior["seconds"] if prior else 0.0
    first_epoch = (prior["epoch"] if prior else 0) + 1
    if prior:
        log(rank, "resumed from %s after epoch %d (best %s at epoch %d)" % (a.checkpoint, prior["epoch"], "-" if not best_val else "%.4f" % best_val["ndcg10"], best_epoch))
    torch.manual_seed(a.seed * 7919 + rank)
    # Weight averaging (--ema): the shadow copy is what validation sees, what "best" keeps and
    # what is exported; the optimiser goes on with the raw weights. Averaging over the last
    # ~1/(1 − decay) steps smooths the step-to-step noise of a small log (610 users) without
    # another training run, as checkpoint averaging does for SASRec-style models. Every rank
    # holds the same raw weights after each DDP step, so every rank's average is the same.
    ema = [p.detach().clone() for p in model.parameters()] if a.ema else None
    if ema is not None and prior and prior.get("ema"):
        ema = [torch.as_tensor(np.asarray(prior["ema"][k]), dtype=torch.float32).reshape(p.shape).to(device) for k, p in zip(model.p.keys(), model.parameters())]

    def with_ema(fn):
        """fn() run with the averaged weights in the model (the raw ones put back after)."""
        if ema is None:
            return fn()
        raw = [p.detach().clone() for p in model.parameters()]
        with torch.no_grad():
            for p, e in zip(model.parameters(), ema):
                p.copy_(e)
        try:
            return fn()
        finally:
            with torch.no_grad():
                for p, r in zip(model.parameters(), raw):
                    p.copy_(r)

    def all_sum(x: np.ndarray) -> np.ndarray:
        if world == 1:
            return x
        t = torch.tensor(x, dtype=torch.float64, device=device)
        dist.all_reduce(t)
        return t.cpu().numpy()

    def validate(max_len):
        s = all_sum(evaluate_val(model, data, max_len, device, rank, world, with_full=a.select != "uniform"))
        n = max(1.0, s[3])
        r = {"users": int(s[3]), "hr10": s[0] / n, "ndcg10": s[1] / n, "mrr": s[2] / n}
        if a.select != "uniform":
            r["fullHr10"], r["fullNdcg10"] = s[4] / n, s[5] / n
        # The figure that selects (best epoch, context length): `--select`.
        r["selected"] = r["ndcg10"] if a.select == "uniform" else r["fullNdcg10"] if a.select == "full" else r["ndcg10"] + r["fullNdcg10"]
        return r

    stopped_by = "epochs"
    total_steps = 0
    interrupted = False
    for epoch in range(first_epoch, a.epochs + 1):
        t0 = time.time()
        seed = (a.seed * 1_000_003 + epoch) & 0xFFFFFFFF
        rand = Mulberry32(seed)
        windows = epoch_windows(data.train_len, a.len, rand)
        # One process: the TS trainer's stream, draw for draw. Several: a stream per rank.
        brand = rand if world == 1 else Mulberry32(seed ^ ((rank + 1) * 0x9E3779B9 & 0xFFFFFFFF))
        steps = -(-len(windows) // a.batch)
        # Every rank needs at least one window in every step (DDP steps in lockstep).
        while steps > 0 and len(windows) - (steps - 1) * a.batch < world:
            steps -= 1
        model.train()
        loss_sum = 0.0
        tokens = 0
        done = 0
        for s in range(steps):
            mine = windows[s * a.batch : (s + 1) * a.batch][rank::world]
            batch = make_batch(data, mine, a.len, a.negatives, a.id_dropout, a.in_batch, brand, full=full)
            tokens += batch["tokens"]
            tb = to_torch(batch, device)
            opt.zero_grad(set_to_none=True)
            loss = net(tb, a.dropout, a.loss, gbce_beta)
            loss.backward()
            opt.step()
            if ema is not None:
                with torch.no_grad():
                    torch._foreach_mul_(ema, a.ema)
                    torch._foreach_add_(ema, [p.detach() for p in model.parameters()], alpha=1 - a.ema)
            v = float(loss.detach())
            if not math.isfinite(v):
                raise RuntimeError("training diverged: loss %s at epoch %d, step %d" % (v, epoch, s))
            loss_sum += v
            done += 1
            total_steps += 1
            if a.log_every and done % a.log_every == 0:
                log(rank, "epoch %d step %d/%d: loss %.4f, %.0f tokens/s on rank 0" % (epoch, done, steps, loss_sum / done, tokens / max(1e-9, time.time() - t0)))
            # Agree on stopping (one tiny all-reduce every 4 steps with several ranks; free with
            # one), so no rank waits forever. Soon matters: torchrun SIGKILLs workers 30 s after
            # relaying a SIGTERM (the checkpoint on disk survives that: it is replaced atomically).
            if world == 1 or done % 4 == 0 or s == steps - 1 or (a.max_steps and total_steps >= a.max_steps):
                flags = all_sum(np.array([1.0 if stop.flag else 0.0]))
                if flags[0] > 0:
                    interrupted = True
                    break
            if a.max_steps and total_steps >= a.max_steps:
                break
        if interrupted:
            log(rank, "interrupted in epoch %d after %d steps; keeping the checkpoint of epoch %d" % (epoch, done, epoch - 1))
            stopped_by = "signal"
            break
        seconds = time.time() - t0
        tot = all_sum(np.array([loss_sum, done, tokens]))
        rec = {"epoch": epoch, "loss": tot[0] / max(1, tot[1]), "seconds": seconds, "steps": done, "tokens": int(tot[2])}
        elapsed_min = (prior_seconds + time.time() - t_start) / 60
        out_of_time = elapsed_min >= a.max_minutes
        out_of_steps = bool(a.max_steps and total_steps >= a.max_steps)
        if epoch % a.eval_every == 0 or epoch == a.epochs or out_of_time or out_of_steps:
            te = time.time()
            rec["val"] = with_ema(lambda: validate(cfg["maxLen"]))
            improved = best_val is None or rec["val"]["selected"] > best_val.get("selected", best_val["ndcg10"])
            if improved:
                best = with_ema(model.weights)
                best_epoch, best_val, since_best = epoch, rec["val"], 0
            else:
                since_best += 1
            vf = rec["val"]
            log(rank, "epoch %d: loss %.4f, %.1f s train (%.0f interactions/s) + %.1f s val; val HR@10 %.4f NDCG@10 %.4f%s%s; elapsed %.1f min"
                % (epoch, rec["loss"], seconds, rec["tokens"] / max(1e-9, seconds), time.time() - te, vf["hr10"], vf["ndcg10"],
                   "; full HR@10 %.4f NDCG@10 %.4f" % (vf["fullHr10"], vf["fullNdcg10"]) if "fullNdcg10" in vf else "", " (best)" if improved else "", elapsed_min))
        else:
            log(rank, "epoch %d: loss %.4f, %.1f s (%.0f interactions/s); elapsed %.1f min" % (epoch, rec["loss"], seconds, rec["tokens"] / max(1e-9, seconds), elapsed_min))
        history.append(rec)
        if rank == 0 and a.checkpoint:
            save_checkpoint(a.checkpoint, {"epoch": epoch, "config": cfg, "params": model.weights(), "adam": opt.state_dict(), "best": best, "bestEpoch": best_epoch,
                                           "bestVal": best_val, "sinceBest": since_best, "history": history, "seconds": prior_seconds + time.time() - t_start,
                                           "ema": with_ema(model.weights) if ema is not None else None})
        if since_best >= a.patience:
            stopped_by = "patience"
            break
        if out_of_time:
            stopped_by = "time"
            break
        if out_of_steps:
            stopped_by = "steps"
            break
        if stop.flag:
            stopped_by = "signal"
            interrupted = True
            break
    train_seconds = prior_seconds + time.time() - t_start
    if interrupted:
        if world > 1:
            dist.destroy_process_group()
        return 130

    # Context length on validation, from the best weights, then export.
    model.load_state_dict({"p." + k: torch.from_numpy(np.asarray(v)) for k, v in best.items()})
    lens = [int(x) for x in a.eval_lens.split(",") if x]
    val_by_len = {}
    best_len = lens[0]
    for L in lens:
        val_by_len[L] = validate(L)
        log(rank, "val (uniform) with context %d: HR@10 %.4f NDCG@10 %.4f%s" % (L, val_by_len[L]["hr10"], val_by_len[L]["ndcg10"],
            "; full NDCG@10 %.4f" % val_by_len[L]["fullNdcg10"] if "fullNdcg10" in val_by_len[L] else ""))
        if val_by_len[L]["selected"] > val_by_len[best_len]["selected"]:
            best_len = L
    out_cfg = dict(cfg)
    out_cfg["maxLen"] = best_len
    log(rank, "training stopped by %s after %.1f min; best epoch %d; context %d" % (stopped_by, train_seconds / 60, best_epoch, best_len))
    if rank == 0:
        report = {"trainer": "pytorch", "torch": torch.__version__, "world": world, "device": str(device), "dataset": data.meta.get("dataset"), "config": out_cfg,
                  "parameters": count_params(out_cfg), "options": {k: v for k, v in vars(a).items()}, "stoppedBy": stopped_by, "trainSeconds": train_seconds,
                  "bestEpoch": best_epoch, "history": history, "valByContext": {str(k): v for k, v in val_by_len.items()}, "quantization": a.quantize}
        if not a.no_export:
            exp = export_model(a.out, out_cfg, data.vocab, best, a.quantize, license=data.meta.get("license"),
                               training={"dataset": data.meta.get("dataset"), "trainer": "pytorch %s, %d process%s" % (torch.__version__, world, "" if world == 1 else "es"),
                                         "bestEpoch": best_epoch, "val": val_by_len[best_len], "trainSeconds": round(train_seconds)})
            log(rank, "exported %s/model.json (%d B) + weights.bin (%d B), sha256 %s" % (a.out, exp["modelJsonBytes"], exp["weightBytes"], exp["sha256"]))
            report["export"] = exp
        if a.report:
            os.makedirs(os.path.dirname(os.path.abspath(a.report)), exist_ok=True)
            with open(a.report, "w") as f:
                json.dump(report, f, indent=2)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    code = main()
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        # Everything is written and closed (the export, the report; the checkpoint is replaced
        # atomically), so a DDP worker leaves without Python's finalization: in about one 2-process
        # run in a handful, rank 0 returned from main() and then hung for good in a futex wait while
        # the interpreter shut down (torch 1.13's gloo/c10d threads; traced with faulthandler), and
        # torchrun waited on it until the caller's timeout.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
