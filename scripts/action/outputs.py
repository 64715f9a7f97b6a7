"""Publish one gate run to GitHub Actions: step outputs and the job summary.

Called by ``check.sh`` after ``aigate check`` with its exit code and report directory. Uses only the
standard library (any ``python3`` on the runner will do). Reads ``aigate.json`` (the machine
contract: ``decision``, ``maturity`` per stream, ``bundle``) and ``aigate.md``; writes the outputs
``decision``, ``level-a``, ``level-b``, ``bundle-path``, ``bundle-digest``, ``exit-code``,
``report-dir`` and ``sarif-file`` to ``$GITHUB_OUTPUT`` and appends the markdown report to
``$GITHUB_STEP_SUMMARY``.

Exit 2 or 3 means aigate could not decide: there is no report, the decision output is ``error``
and the summary says so. A report that cannot be read is an error too, never a pass.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

SUMMARY_LIMIT = 1024 * 1024


def write_outputs(path: str, values: dict[str, str]) -> None:
    """Append ``name<<DELIM`` blocks: safe for any value, including newlines."""
    with open(path, "a", encoding="utf-8") as fh:
        for name, value in values.items():
            delim = f"aigate_{secrets.token_hex(8)}"
            fh.write(f"{name}<<{delim}\n{value}\n{delim}\n")


def load_report(report_dir: Path) -> dict[str, Any] | None:
    path = report_dir / "aigate.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def bundle_of(report: dict[str, Any], report_dir: Path) -> tuple[str, str]:
    bundle = report.get("bundle")
    if isinstance(bundle, dict) and bundle.get("path"):
        return str(bundle["path"]), str(bundle.get("digest") or "")
    index = report_dir / "bundle" / "index.json"
    if index.is_file():  # the bundle digest is the sha256 of its index.json
        return str(index.parent), "sha256:" + hashlib.sha256(index.read_bytes()).hexdigest()
    return "", ""


def level(report: dict[str, Any], stream: str) -> str:
    maturity = report.get("maturity")
    entry: Any = None
    if isinstance(maturity, dict):
        entry = maturity.get(stream)
    elif isinstance(maturity, list):
        entry = next((m for m in maturity if isinstance(m, dict) and m.get("stream") == stream), None)
    if isinstance(entry, dict) and isinstance(entry.get("level"), int):
        return str(entry["level"])
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exit-code", type=int, required=True)
    parser.add_argument("--report-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    out = os.environ.get("GITHUB_OUTPUT")
    if not out:
        print("outputs.py: GITHUB_OUTPUT is not set: run inside GitHub Actions", file=sys.stderr)
        return 2
    report_dir: Path = args.report_dir
    report = load_report(report_dir) if args.exit_code in (0, 1) else None
    values = {"exit-code": str(args.exit_code), "report-dir": str(report_dir)}
    if report is None:
        decision = "error"
        values.update(dict.fromkeys(("level-a", "level-b", "bundle-path", "bundle-digest"), ""))
        values["decision"] = decision
    else:
        decision = str(report.get("decision") or "error")
        if decision not in ("pass", "fail") or (decision == "pass") != (args.exit_code == 0):
            decision = "error"  # the report and the exit code disagree: trust neither
        path, digest = bundle_of(report, report_dir)
        values.update(
            {
                "decision": decision,
                "level-a": level(report, "A"),
                "level-b": level(report, "B"),
                "bundle-path": path,
                "bundle-digest": digest,
            }
        )
    sarif = report_dir / "aigate.sarif"
    values["sarif-file"] = str(sarif) if report is not None and sarif.is_file() else ""
    write_outputs(out, values)

    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        md_path = report_dir / "aigate.md"
        if report is not None and md_path.is_file():
            text = md_path.read_text(encoding="utf-8")
        else:
            text = (
                f"## ❌ aigate: **error** (exit {args.exit_code})\n\n"
                "aigate could not decide: 2 is an input error to fix (bad flag, invalid manifest, "
                "policy that does not compile, missing file), 3 means the gate could not finish. "
                "The reason is in the step log.\n"
            )
        text = text if text.endswith("\n") else text + "\n"
        data = text.encode("utf-8")
        if len(data) > SUMMARY_LIMIT:  # GitHub rejects a step summary over 1 MiB
            cut = data[: SUMMARY_LIMIT - 200].decode("utf-8", "ignore")
            text = cut + "\n\n**Report truncated**: the full report is aigate.md in the uploaded artifact.\n"
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(text)
    print(f"aigate: decision {decision}, exit code {args.exit_code}, reports in {report_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
