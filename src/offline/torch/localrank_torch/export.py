"""Write the browser artifact (src/encoder/weights.ts): `model.json` (the tfjs weights manifest
plus LocalRank's config, vocabulary and the SHA-256 of the weight bytes) and `weights.bin`.

The bytes are what src/encoder/weights.ts `encodeWeights` writes for the same float32 values:
float16 is IEEE half with round-to-nearest-even (numpy's float32→float16 cast, subnormals and
overflow to ±Inf included, as `toHalf`), uint8 is the affine value = q·scale + min per weight
with JavaScript's Math.round (half up), float32 is raw little-endian. So the browser cannot
tell which trainer made an artifact. model.json carries the model's pin `modelSha256`
(weights.ts), computed over the same canonical JSON as the TypeScript exporter.
"""
import hashlib
import json
import math
import os
from decimal import Decimal

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


def js_number(x) -> str:
    """A number as ECMAScript's Number::toString (and so JSON.stringify) writes it: the shortest
    round-trip digits (Python's repr finds the same ones), in positional notation for
    1e-7 < |x| < 1e21 and as d.ddde±n outside."""
    if isinstance(x, bool):
        raise TypeError("bool is not a number here")
    if isinstance(x, int):
        x = float(x) if abs(x) >= 1e21 else x
        if isinstance(x, int):
            return str(x)
    if not math.isfinite(x):
        return "null"
    if x == 0:
        return "0"
    if x < 0:
        return "-" + js_number(-x)
    t = Decimal(repr(x)).normalize().as_tuple()
    digits = "".join(map(str, t.digits))
    k = len(digits)
    n = k + t.exponent  # value = 0.digits × 10^n
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    return (digits if k == 1 else digits[0] + "." + digits[1:]) + "e" + sign + str(abs(e))


def canonical_json(v) -> str:
    """weights.ts `canonicalJson` (RFC 8785 style): keys sorted by UTF-16 code units, no
    whitespace, numbers and strings as JSON.stringify writes them, None members dropped."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return js_number(v)
    if isinstance(v, np.generic):
        return canonical_json(v.item())
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(canonical_json(x) for x in v) + "]"
    if isinstance(v, dict):
        keys = sorted((k for k in v if v[k] is not None), key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical_json(v[k]) for k in keys) + "}"
    raise TypeError("not JSON: %r" % type(v))


UNPINNED = {"modelSha256", "license", "training"}


def model_sha256(artifact: dict) -> str:
    """weights.ts `modelSha256`, the model's pin: SHA-256 of the canonical JSON of model.json
    without modelSha256, license, training and the shard paths (the weights' digest `sha256`
    is inside it, so the pin covers the weights too)."""
    view = {k: v for k, v in artifact.items() if k not in UNPINNED}
    view["weightsManifest"] = [{k: v for k, v in g.items() if k != "paths"} for g in artifact["weightsManifest"]]
    return hashlib.sha256(canonical_json(view).encode("utf-8")).hexdigest()


def _js_json(obj) -> str:
    """model.json text: compact JSON (its formatting is not pinned, only its canonical form)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


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
    artifact["modelSha256"] = model_sha256(artifact)
    text = _js_json(artifact)
    for name, payload in ((shard, data), ("model.json", text.encode("utf-8"))):
        tmp = os.path.join(out_dir, name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(payload)
        os.replace(tmp, os.path.join(out_dir, name))
    return {"dir": out_dir, "sha256": sha, "modelSha256": artifact["modelSha256"], "weightBytes": len(data), "modelJsonBytes": len(text.encode("utf-8"))}


def read_model(dirpath: str):
    with open(os.path.join(dirpath, "model.json"), encoding="utf-8") as f:
        art = json.load(f)
    data = b"".join(open(os.path.join(dirpath, p), "rb").read() for g in art["weightsManifest"] for p in g["paths"])
    sha = hashlib.sha256(data).hexdigest()
    if sha != art["sha256"]:
        raise ValueError("%s: weights SHA-256 %s does not match model.json's %s" % (dirpath, sha, art["sha256"]))
    if "modelSha256" in art and model_sha256(art) != art["modelSha256"]:
        raise ValueError("%s: model.json does not match the model SHA-256 it declares (%s)" % (dirpath, art["modelSha256"]))
    return art, decode_weights([w for g in art["weightsManifest"] for w in g["weights"]], data)
