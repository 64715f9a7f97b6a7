"""MODELSAFE side by side: aigate's gate vs modelscan vs fickling on one corpus.

The corpus is the test corpus (``tests/modelsafe/corpus.py``): hand-written payloads, one per
trick, and benign files written by real numpy, scikit-learn and joblib plus byte-identical
torch-format checkpoints. When ``--other-python`` has torch, real ``torch.save`` files are added
(state_dict, legacy format, optimizer checkpoint) and the crafted ``data.pkl`` is compared with
torch's byte for byte. Nothing is ever loaded.

Verdicts: aigate = the built-in MODELSAFE policy denies (default data; the sklearn opt-in for the
sklearn files, as an organisation shipping sklearn models would set it). modelscan = it reports
an issue (its scan errors are listed apart). fickling = ``fickling.scan_file(graceful=True)``
is not safe or reports errors (its own archive handling included). Recall = payloads caught / payloads; false-positive rate = benign blocked / benign.

modelscan and fickling run in ``--other-python`` (a separate venv: modelscan pins its own
dependencies), one process for all files, timing each file inside that process.

    python bench/bench_modelsafe.py [--other-python /path/to/venv/bin/python]
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

_OTHER = r"""
import json, sys, time, io, contextlib
from pathlib import Path
files = json.loads(sys.stdin.read())
out = {}
try:
    from modelscan.modelscan import ModelScan
except Exception:
    ModelScan = None
try:
    from fickling import scan_file
except Exception:
    scan_file = None
for f in files:
    r = {}
    if ModelScan is not None:
        t = time.perf_counter()
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                res = ModelScan().scan(Path(f))
            r["modelscan"] = {"flag": bool(res["issues"]), "error": bool(res["errors"])}
        except Exception as exc:
            r["modelscan"] = {"flag": False, "error": True}
        r["modelscan"]["t"] = time.perf_counter() - t
    if scan_file is not None:
        t = time.perf_counter()
        try:
            with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
                res = scan_file(f, graceful=True)
            r["fickling"] = {"flag": not bool(res), "error": bool(res.errors)}
        except Exception:
            r["fickling"] = {"flag": True, "error": True}
        r["fickling"]["t"] = time.perf_counter() - t
    out[f] = r
print(json.dumps(out))
"""

_TORCH = r"""
import sys, zipfile, collections, json
sys.path.insert(0, sys.argv[2])
import torch
from modelsafe import torchfmt
d = sys.argv[1]
arrs = torchfmt.linear_state_dict()
real = collections.OrderedDict((k, torch.from_numpy(v)) for k, v in arrs.items())
torch.save(real, f"{d}/real_state_dict.pt")
torch.save(real, f"{d}/real_legacy.pt", _use_new_zipfile_serialization=False)
m = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
opt = torch.optim.Adam(m.parameters()); m(torch.randn(3, 4)).sum().backward(); opt.step()
torch.save({"model": m.state_dict(), "optim": opt.state_dict(), "epoch": 3}, f"{d}/real_checkpoint.pth")
torch.save(m, f"{d}/real_full_module.pt")
torch.jit.script(m).save(f"{d}/real_torchscript.pt")
sd, _ = torchfmt.state_dict(arrs)
same = zipfile.ZipFile(f"{d}/real_state_dict.pt").read("real_state_dict/data.pkl") == torchfmt.data_pkl(sd)
print(json.dumps({"version": torch.__version__, "crafted_equals_real": same}))
"""

#: real torch files and whether they are payloads (a pickled nn.Module imports its classes: code)
TORCH_FILES = {
    "real_state_dict.pt": False,
    "real_legacy.pt": False,
    "real_checkpoint.pth": False,
    "real_torchscript.pt": False,
    "real_full_module.pt": True,
}


def build(d: Path) -> list[dict[str, Any]]:
    from modelsafe.corpus import MALICIOUS, benign

    cases = []
    for name, (fname, writer) in sorted(MALICIOUS.items()):
        (d / name).mkdir()
        writer(d / name / fname)
        cases.append({"case": name, "path": d / name / fname, "bad": True, "sklearn": False})
    for name, (fname, writer, sk) in sorted(benign().items()):
        (d / name).mkdir()
        writer(d / name / fname)
        if name == "onnx-external-inside":
            (d / name / "weights").mkdir()
            (d / name / "weights" / "m.bin").write_bytes(b"\0" * 8)
        cases.append({"case": name, "path": d / name / fname, "bad": False, "sklearn": sk})
    return cases


def aigate_verdicts(cases: list[dict[str, Any]]) -> None:
    from aigate.collect.artifacts import collect_artifacts
    from aigate.collect.modelsafe import scan_file
    from aigate.policy.embedded import EmbeddedEngine
    from aigate.policy.library import builtin_set
    from aigate.policydata import default_data

    engines = {}
    for sk in (False, True):
        data = copy.deepcopy(default_data().data)
        data["modelsafe"]["allow_sklearn"] = sk
        e = EmbeddedEngine()
        e.compile(list(builtin_set().modules), {"aigate": {"config": data}})
        engines[sk] = e
    for c in cases:
        root = c["path"].parent
        rel = c["path"].name
        manifest = {"model": {"name": "m", "version": "1", "artifacts": [{"path": rel, "kind": "model"}]}}
        t = time.perf_counter()
        arts = collect_artifacts(root, manifest)
        c["aigate_collect_t"] = time.perf_counter() - t
        t = time.perf_counter()
        scan_file(c["path"], rel)
        c["aigate_scan_t"] = time.perf_counter() - t
        t = time.perf_counter()
        res = engines[c["sklearn"]].query(
            "aigate.controls.modelsafe", {"manifest": manifest, "artifacts": arts}
        )
        c["aigate_policy_t"] = time.perf_counter() - t
        c["aigate"] = bool(res.get("deny"))
        c["aigate_status"] = arts[0]["safety"]["status"]
        c["pickle_based"] = any(
            k in arts[0]["format"] for k in ("pickle", "pytorch", "torchscript", "object")
        )


def other_verdicts(cases: list[dict[str, Any]], python: str) -> None:
    files = [str(c["path"]) for c in cases]
    proc = subprocess.run(
        [python, "-c", _OTHER], input=json.dumps(files), capture_output=True, text=True, timeout=3000
    )
    if proc.returncode != 0:
        print(f"other tools failed: {proc.stderr[-400:]}")
        return
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    for c in cases:
        c.update({k: v for k, v in res.get(str(c["path"]), {}).items()})


def table(cases: list[dict[str, Any]], title: str = "", detail: bool = True) -> None:
    bad = [c for c in cases if c["bad"]]
    good = [c for c in cases if not c["bad"]]
    print(f"\n{title}corpus: {len(cases)} files ({len(bad)} payloads, {len(good)} benign)\n")
    print(
        "| tool | payloads caught (recall) | benign blocked (false-positive rate) | median ms/file | ratio to aigate |"
    )
    print("|---|---|---|---|---|")
    base = None
    for tool in ("aigate", "modelscan", "fickling"):
        if tool == "aigate":
            flags = [(c, c["aigate"]) for c in cases]
            times = sorted(c["aigate_scan_t"] for c in cases)
        elif all(tool in c for c in cases):
            flags = [(c, c[tool]["flag"]) for c in cases]
            times = sorted(c[tool]["t"] for c in cases)
        else:
            print(f"| {tool} | not installed | | | |")
            continue
        caught = sum(1 for c, f in flags if c["bad"] and f)
        fp = sum(1 for c, f in flags if not c["bad"] and f)
        med = times[len(times) // 2] * 1000
        base = base or med
        print(
            f"| {tool} | {caught}/{len(bad)} ({caught / len(bad):.0%}) | {fp}/{len(good)} ({fp / len(good):.0%}) "
            f"| {med:.3f} | {med / base:.2f}x |"
        )
    if not detail:
        return
    pol = sorted(c["aigate_policy_t"] for c in cases)
    print(
        f"\naigate times are scan_file's (classify + walk); the whole artifacts collector (with hashing) "
        f"took {sorted(c['aigate_collect_t'] for c in cases)[len(cases) // 2] * 1000:.2f} ms/file; the MODELSAFE policy query, "
        f"once per gate run whatever the file count, took {pol[len(pol) // 2] * 1000:.0f} ms (median)"
    )
    for tool in ("aigate", "modelscan", "fickling"):
        if tool != "aigate" and not all(tool in c for c in cases):
            continue
        missed = [c["case"] for c in bad if not (c["aigate"] if tool == "aigate" else c[tool]["flag"])]
        blocked = [c["case"] for c in good if (c["aigate"] if tool == "aigate" else c[tool]["flag"])]
        print(f"{tool}: missed {missed or 'none'}; blocked benign {blocked or 'none'}")
        if tool == "modelscan":
            errs = [c["case"] for c in cases if c["modelscan"]["error"]]
            print(f"modelscan scan errors (not counted as findings): {len(errs)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--other-python", default=sys.executable, help="interpreter with modelscan/fickling/torch"
    )
    args = ap.parse_args()
    d = Path(tempfile.mkdtemp(prefix="bench-modelsafe-"))
    try:
        cases = build(d)
        probe = subprocess.run(
            [args.other_python, "-c", _TORCH, str(d), str(REPO / "tests")], capture_output=True, text=True
        )
        if probe.returncode == 0:
            info = json.loads(probe.stdout.strip().splitlines()[-1])
            print(
                f"torch {info['version']}: crafted data.pkl byte-identical to torch.save's: {info['crafted_equals_real']}"
            )
            for name, bad in TORCH_FILES.items():
                (d / name).parent.mkdir(exist_ok=True)
                sub = d / f"torch-{name}"
                sub.mkdir()
                shutil.move(str(d / name), sub / name)
                cases.append({"case": f"torch-{name}", "path": sub / name, "bad": bad, "sklearn": False})
        else:
            print("torch not importable in --other-python: real torch.save files skipped")
        aigate_verdicts(cases)
        other_verdicts(cases, args.other_python)
        table(cases)
        table(
            [c for c in cases if c["pickle_based"]],
            "pickle-based files only (as aigate classified them): ",
            False,
        )
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
