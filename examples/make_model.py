"""Create the small fraud-detection model used by the examples, in safetensors format.

The model is a two-layer perceptron over 12 transaction features (amount, hour, country risk,
...), with deterministic weights (a fixed seed), so running this script again produces
byte-identical files. Only numpy is needed: the safetensors format is simple enough to write by
hand (https://github.com/huggingface/safetensors#format):

    8 bytes   little-endian u64 N, the length of the JSON header
    N bytes   JSON header: {"__metadata__": {...}, "<tensor>": {"dtype", "shape", "data_offsets"}}
    rest      the tensors' raw little-endian bytes, in the order of their offsets

Usage:  python examples/make_model.py            (writes both examples' model files)
        python examples/make_model.py --check    (fails if the committed files differ)
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
TARGETS = [
    HERE / "fraud-detector" / "model" / "model.safetensors",
    HERE / "fraud-detector-failing" / "model" / "model.safetensors",
]
FEATURES = 12
HIDDEN = 32


def tensors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20261126)
    return {
        "layer1.weight": (rng.standard_normal((HIDDEN, FEATURES)) * 0.3).astype("<f4"),
        "layer1.bias": np.zeros(HIDDEN, dtype="<f4"),
        "layer2.weight": (rng.standard_normal((1, HIDDEN)) * 0.2).astype("<f4"),
        "layer2.bias": np.array([-1.5], dtype="<f4"),
    }


def safetensors_bytes(named: dict[str, np.ndarray], metadata: dict[str, str]) -> bytes:
    header: dict[str, object] = {"__metadata__": metadata}
    offset = 0
    chunks = []
    for name in sorted(named):
        raw = np.ascontiguousarray(named[name]).tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(named[name].shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    text += b" " * (-len(text) % 8)  # pad so the data starts 8-byte aligned (allowed by the format)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def model_bytes() -> bytes:
    meta = {
        "format": "pt",
        "model": "fraud-detector",
        "features": str(FEATURES),
        "architecture": "mlp-12-32-1",
    }
    return safetensors_bytes(tensors(), meta)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the committed files instead of writing")
    args = parser.parse_args()
    data = model_bytes()
    status = 0
    for target in TARGETS:
        if args.check:
            if not target.exists() or target.read_bytes() != data:
                print(f"{target.relative_to(HERE)} differs from make_model.py's output", file=sys.stderr)
                status = 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        print(f"wrote {target.relative_to(HERE)} ({len(data)} bytes)")
    return status


if __name__ == "__main__":
    sys.exit(main())
