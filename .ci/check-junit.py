"""Fail CI when the test run proves less than it seems: no test ran, a test failed, or one skipped.

Reads the JUnit XML pytest wrote. In CI no test may skip: a missing tool is a failure
(tests/ci_support.py), so a skip here means a guard is missing.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main(path: str) -> int:
    file = Path(path)
    if not file.is_file():
        print(f"check-junit: {path}: no JUnit file; pytest did not run", file=sys.stderr)
        return 1
    root = ET.parse(file).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    counts = {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")}
    print("check-junit: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    if counts["tests"] == 0:
        print("check-junit: no test ran", file=sys.stderr)
        return 1
    if counts["failures"] or counts["errors"]:
        print("check-junit: tests failed", file=sys.stderr)
        return 1
    skipped = [
        f"{case.get('classname')}::{case.get('name')}: {(mark.get('message') or '')[:200]}"
        for case in root.iter("testcase")
        for mark in case.findall("skipped")
        if mark.get("type") != "pytest.xfail"  # a strict xfail is a known defect, reported, not a skip
    ]
    if skipped:
        print("check-junit: tests were skipped in CI:\n  " + "\n  ".join(skipped), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
