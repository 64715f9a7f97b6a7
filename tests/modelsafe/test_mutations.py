"""Hostile bytes: seeded mutations of the corpus never crash the scanner, never put a backslash,
quote or control character into evidence, and never stop the policy from evaluating (the old
scanner's error text once made the gate exit 2, "policy does not compile")."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from aigate.collect.modelsafe import scan_file
from modelsafe.corpus import MALICIOUS, benign


def _seeds(base: Path) -> list[Path]:
    out = []
    cases = [(n, f, w) for n, (f, w) in MALICIOUS.items()] + [(n, f, w) for n, (f, w, _) in benign().items()]
    for name, fname, writer in sorted(cases):
        (base / name).mkdir(parents=True)
        writer(base / name / fname)
        out.append(base / name / fname)
    return out


def _mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        if op < 0.5 and buf:
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        elif op < 0.75:
            del buf[rng.randrange(len(buf) + 1) :]
        else:
            at = rng.randrange(len(buf) + 1)
            buf[at:at] = rng.randbytes(rng.randint(1, 8))
    return bytes(buf)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_mutated_files_scan_to_plain_data_and_the_policy_evaluates(tmp_path: Path, judge: Any) -> None:
    seeds = _seeds(tmp_path / "seeds")
    rng = random.Random(20261201)
    root = tmp_path / "proj"
    mutated = root / "model" / "mutants"
    mutated.mkdir(parents=True)
    statuses: set[str] = set()
    for i in range(600):
        src = rng.choice(seeds)
        data = _mutate(rng, src.read_bytes())
        # every file is scanned; every fifth also goes to the artifact the policy judges (the
        # embedded engine has a 5 s deadline per package on a loaded 2-core machine)
        p = (mutated if i % 5 == 0 else tmp_path / "seeds") / f"{i:04d}{src.suffix}"
        p.write_bytes(data)
        result = scan_file(p, p.name, data[:16])  # never raises on hostile content
        statuses.add(result["status"])
        for s in _strings(result):
            assert "\\" not in s and '"' not in s and all(c.isprintable() for c in s), s
        json.dumps(result)
    assert {"error", "imports", "unsafe"} <= statuses
    arts, verdict = judge(root, "model/mutants", "pickle")
    assert arts[0]["files_count"] == 120
    assert verdict["deny"], "a directory of mutated payloads must not pass"
