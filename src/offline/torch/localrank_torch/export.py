"""Write the browser artifact (src/encoder/weights.ts): `model.json` (the tfjs weights manifest
plus LocalRank's config, vocabulary and the SHA-256 of the weight bytes) and `weights.bin`.

The bytes are what src/encoder/weights.ts `encodeWeights` writes for the same float32 values:
float16 is IEEE half with round-to-nearest-even (numpy's float32→float16 cast, subnormals and
overflow to ±Inf included, as `toHalf`), uint8 is the affine value = q·scale + min per weight
with JavaScript's Math.round (half up), float32 is raw little-endian. So the browser cannot
tell which trainer made an artifact.
"""
import hashlib
import json
import math
import os

import numpy as np

from .model import param_shapes

ARTIFACT_FORMAT = "localrank-encoder"
ARTIFACT_VERSION = 1


def encode_weights(cfg: dict, weights: dict, quantization: str = "float16"):
    """(specs, bytes) in manifest order; checks every weight is present with its shape."""
    parts, specs = [], []
    for name, shape in param_shapes(cfg):
        if name not in weights:
            raise ValueError("export: weight %s missing" % name)
        w = np.asarray(weights[name], dtype=np.float32)
        if list(w.shape) != list(shape):
            raise ValueError("export: weight %s has shape %s, expected %s" % (name, list(w.shape), shape))
        flat = w.reshape(-1)
        if quantization == "float16":
            parts.append(flat.astype("<f2").tobytes())
            specs.append({"name": name, "shape": shape, "dtype": "float32", "quantization": {"dtype": "float16"}})
        elif quantization == "uint8":
            x = flat.astype(np.float64)
            lo = float(x.min()) if x.size else 0.0
            hi = float(x.max()) if x.size else 0.0
            scale = (hi - lo) / 255 if hi > lo else 1.0
            q = np.floor((x - lo) / scale + 0.5).astype(np.uint8)  # Math.round: half up
            parts.append(q.tobytes())
            specs.append({"name": name, "shape": shape, "dtype": "float32", "quantization": {"dtype": "uint8", "scale": scale, "min": lo}})
        elif quantization == "float32":
            parts.append(flat.astype("<f4").tobytes())
            specs.append({"name": name, "shape": shape, "dtype": "float32"})
        else:
            raise ValueError("quantization must be float32, float16 or uint8 (got %r)" % quantization)
    return specs, b"".join(parts)


def decode_weights(specs, data: bytes) -> dict:
    """Inverse of encode_weights (weights.ts `decodeWeights`)."""
    out, o = {}, 0
    for s in specs:
        n = int(np.prod(s["shape"]))
        q = (s.get("quantization") or {}).get("dtype")
        if q == "float16":
            v = np.frombuffer(data, dtype="<f2", count=n, offset=o).astype(np.float32)
            o += 2 * n
        elif q == "uint8":
            v = (np.frombuffer(data, dtype=np.uint8, count=n, offset=o).astype(np.float64) * s["quantization"]["scale"] + s["quantization"]["min"]).astype(np.float32)
            o += n
        else:
            v = np.frombuffer(data, dtype="<f4", count=n, offset=o).copy()
            o += 4 * n
        out[s["name"]] = v.reshape(s["shape"])
    if o != len(data):
        raise ValueError("weights have %d unexpected trailing bytes" % (len(data) - o))
    return out


def _js_json(obj) -> str:
    """JSON as JavaScript's JSON.stringify writes it (no spaces, non-ASCII kept, floats in
    shortest round-trip form with JS's exponent spelling), so model.json is byte-identical to
    what the TypeScript exporter would write for the same content."""

    def fix(o):
        if isinstance(o, float):
            if not math.isfinite(o):
                return None
            if o == int(o) and abs(o) < 1e21:
                return int(o)
        if isinstance(o, dict):
            return {k: fix(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [fix(v) for v in o]
        if isinstance(o, np.generic):
            return fix(o.item())
        return o

    s = json.dumps(fix(obj), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return s


def export_model(out_dir: str, cfg: dict, vocab: list, weights: dict, quantization: str = "float16", license: str = None, training: dict = None, shard: str = "weights.bin") -> dict:
    os.makedirs(out_dir, exist_ok=True)
    specs, data = encode_weights(cfg, weights, quantization)
    sha = hashlib.sha256(data).hexdigest()
    artifact = {
        "format": ARTIFACT_FORMAT,
        "formatVersion": ARTIFACT_VERSION,
        "config": cfg,
        "vocab": vocab,
        "weightsManifest": [{"paths": [shard], "weights": specs}],
        "sha256": sha,
    }
    if license:
        artifact["license"] = license
    if training:
        artifact["training"] = training
    text = _js_json(artifact)
    for name, payload in ((shard, data), ("model.json", text.encode("utf-8"))):
        tmp = os.path.join(out_dir, name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(payload)
        os.replace(tmp, os.path.join(out_dir, name))
    return {"dir": out_dir, "sha256": sha, "weightBytes": len(data), "modelJsonBytes": len(text.encode("utf-8"))}


def read_model(dirpath: str):
    with open(os.path.join(dirpath, "model.json"), encoding="utf-8") as f:
        art = json.load(f)
    data = b"".join(open(os.path.join(dirpath, p), "rb").read() for g in art["weightsManifest"] for p in g["paths"])
    sha = hashlib.sha256(data).hexdigest()
    if sha != art["sha256"]:
        raise ValueError("%s: weights SHA-256 %s does not match model.json's %s" % (dirpath, sha, art["sha256"]))
    return art, decode_weights([w for g in art["weightsManifest"] for w in g["weights"]], data)
