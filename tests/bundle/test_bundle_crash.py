"""A crash (SIGKILL) at any moment of a bundle write never leaves a partial bundle at the
destination: it is absent, or it is a complete bundle that verifies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from aigate.bundle.verify import verify_bundle

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from aigate.bundle.writer import BundleRequest, write_bundle
    from aigate.sign import SigningMode

    dest, key, version = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    big = bytes(48 << 20)  # 48 MiB (zeros: nothing to redact): the write takes long enough to be interrupted
    request = BundleRequest(
        files={"decision.json": b'{"decision": "pass"}\\n', "input.json": big, "report.md": b"# r\\n"},
        artifacts=[],
        model_name="m",
        model_version=version,
        policy_digest="sha256:" + "0" * 64,
        previous_decision_digest=None,
        evidence_time=1767225600,
        passed=True,
        signing=SigningMode.parse("key:" + key),
    )
    print("start", flush=True)
    write_bundle(dest, request)
    print("done", flush=True)
    """
)


@pytest.mark.parametrize("existing", [False, True])
def test_sigkill_during_write_never_leaves_a_partial_bundle(tmp_path, keypair, existing):
    dest = tmp_path / "bundle"
    if existing:
        subprocess.run([sys.executable, "-c", WRITER, str(dest), str(keypair[0]), "1.0.0"], check=True)
    interrupted = 0
    for delay in (0.0, 0.01, 0.02, 0.04, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(dest), str(keypair[0]), "2.0.0"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "start"
        time.sleep(delay)
        if proc.poll() is None:
            interrupted += 1
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        if dest.exists():
            result = verify_bundle(dest, key=keypair[1])  # complete, or it raises
            assert result.model_version in ({"1.0.0", "2.0.0"} if existing else {"2.0.0"})
        else:
            assert not existing or interrupted  # only a replace can briefly leave no bundle
    assert interrupted >= 4, "the writer finished too fast to test interruption"
    # hidden leftovers of the interrupted writes are never a bundle at the destination, and the
    # next run removes those of dead runs (their locks are free)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert all(name.startswith((".bundle.tmp-", ".bundle.old-")) for name in leftovers)
    subprocess.run([sys.executable, "-c", WRITER, str(dest), str(keypair[0]), "3.0.0"], check=True)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert verify_bundle(dest, key=keypair[1]).model_version == "3.0.0"
