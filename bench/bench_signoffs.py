"""Sign-off scan over 10,000 commits and 200 approval records (budget: <= 0.5 s).

Builds a repository with ``git fast-import`` (10,000 commits by 10 authors), then records 200
SSH-signed approval tags with ``git tag -s`` (real ed25519 keys from ``ssh-keygen``): 198 approve
earlier versions, 2 approve the release at HEAD. There is no earlier release tag, so the release
range is the whole history (the worst case for the authors pass). Then it times, side by side:

- ``check_signoffs`` (aigate's whole scan: range, authors, trailers, tags, candidate filtering,
  ancestry, signature verification through ``git verify-tag``, counting);
- ``git log --format=%H | wc -l`` over the same history (one pass over every commit);
- ``git for-each-ref refs/tags/aigate/approvals`` (listing the records);

and a second scenario where all 200 records bind the current release (200 signature checks).

Run: ``/work/venv/bin/python bench/bench_signoffs.py`` (about 15 s, most of it building the repo).
"""

from __future__ import annotations

import hashlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aigate.signoff import ReleaseSubject, check_signoffs
from aigate.signoff.record import ApprovalPayload

COMMITS = 10_000
RECORDS = 200
RUNS = 7


def sh(cmd: list[str] | str, cwd: Path, stdin: bytes | None = None, shell: bool = False) -> bytes:
    return subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, check=True, shell=shell).stdout


def build(root: Path) -> tuple[dict[str, str], dict[str, object]]:
    sh(["git", "init", "-q", "-b", "main", str(root)], root.parent)
    stream = []
    for i in range(COMMITS):
        who = f"dev{i % 10}"
        content = f"line {i}\n".encode()
        msg = f"change {i}\n".encode()
        stream.append(b"commit refs/heads/main\n")
        stream.append(f"mark :{i + 1}\n".encode())
        stream.append(f"committer {who} <{who}@example.com> {1700000000 + i} +0000\n".encode())
        stream.append(f"data {len(msg)}\n".encode() + msg)
        if i:
            stream.append(f"from :{i}\n".encode())
        stream.append(f"M 100644 inline src/f{i % 100}.txt\ndata {len(content)}\n".encode() + content + b"\n")
    sh(["git", "fast-import", "--quiet"], root, stdin=b"".join(stream))
    keys = {}
    for name in ("alice", "bob"):
        sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root.parent / name)], root)
        keys[name] = (root.parent / f"{name}.pub").read_text().strip()
    approvals: dict[str, object] = {
        "roles": {
            "security-lead": {
                "quorum": 1,
                "members": [{"name": "A", "email": "alice@example.com", "ssh_keys": [keys["alice"]]}],
            },
            "ml-lead": {
                "quorum": 1,
                "members": [{"name": "B", "email": "bob@example.com", "ssh_keys": [keys["bob"]]}],
            },
        },
        "required_roles": ["ml-lead", "security-lead"],
        "separation_of_duties": True,
        "policy_change_role": "security-lead",
    }
    commits = sh(["git", "rev-list", "--reverse", "HEAD"], root).decode().split()
    digests = {
        "model": "sha256:" + hashlib.sha256(b"model").hexdigest(),
        "manifest": "sha256:" + hashlib.sha256(b"manifest").hexdigest(),
    }
    sh(["git", "config", "gpg.format", "ssh"], root)
    for n in range(RECORDS):
        current = n >= RECORDS - 2
        signer, role = (("alice", "security-lead"), ("bob", "ml-lead"))[n % 2]
        commit = commits[-1] if current else commits[(n + 1) * (COMMITS // RECORDS) - 1]
        version = "9.9.9" if current else f"0.{n // 2}.0"
        payload = ApprovalPayload(role, "bench-model", version, digests["model"], digests["manifest"], commit)
        sh(
            [
                "git",
                "-c",
                f"user.signingkey={root.parent / signer}",
                "-c",
                f"user.email={signer}@example.com",
                "-c",
                f"user.name={signer}",
                "tag",
                "-s",
                "--cleanup=verbatim",
                "-F",
                "-",
                f"aigate/approvals/bench-model/{version}/{role}/{n:04d}",
                commit,
            ],
            root,
            stdin=payload.message().encode(),
        )
    return digests, approvals


def timed(fn: object, runs: int = RUNS) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="aigate-bench-") as tmp:
        root = Path(tmp) / "repo"
        t0 = time.perf_counter()
        digests, approvals = build(root)
        print(f"built {COMMITS} commits + {RECORDS} signed approval tags in {time.perf_counter() - t0:.1f} s")
        subject = ReleaseSubject("bench-model", "9.9.9", digests["model"], digests["manifest"])

        result = check_signoffs(root, subject, approvals)
        assert result.satisfied, result.to_input()
        assert len(result.outcomes) == RECORDS and sum(o.counted for o in result.outcomes) == 2
        ours = timed(lambda: check_signoffs(root, subject, approvals))
        log = timed(lambda: sh("git log --format=%H | wc -l", root, shell=True))
        refs = timed(lambda: sh(["git", "for-each-ref", "refs/tags/aigate/approvals"], root))

        # worst case: every record binds the current release -> 200 signature verifications
        tags = (
            sh(["git", "for-each-ref", "--format=%(refname:short)", "refs/tags/aigate/approvals"], root)
            .decode()
            .split()
        )
        head = sh(["git", "rev-parse", "HEAD"], root).decode().strip()
        for n, tag in enumerate(tags):  # re-sign every record for the current release at HEAD
            signer, role = (("alice", "security-lead"), ("bob", "ml-lead"))[n % 2]
            payload = ApprovalPayload(
                role, "bench-model", "9.9.9", digests["model"], digests["manifest"], head
            )
            sh(
                [
                    "git",
                    "-c",
                    f"user.signingkey={root.parent / signer}",
                    "-c",
                    f"user.email={signer}@example.com",
                    "tag",
                    "-f",
                    "-s",
                    "--cleanup=verbatim",
                    "-F",
                    "-",
                    tag,
                    head,
                ],
                root,
                stdin=payload.message().encode(),
            )
        all_current = timed(lambda: check_signoffs(root, subject, approvals), runs=3)
        verified = sum(o.verified for o in check_signoffs(root, subject, approvals).outcomes)

    budget = 0.5
    print()
    print(f"{'measurement':<58} {'seconds':>8} {'ratio':>7}")
    print(f"{'aigate check_signoffs (10k commits, 200 records, 2 current)':<58} {ours:8.3f} {'1.00':>7}")
    print(f"{'git log --format=%H | wc -l (same history)':<58} {log:8.3f} {ours / log:7.2f}")
    print(f"{'git for-each-ref refs/tags/aigate/approvals':<58} {refs:8.3f} {ours / refs:7.2f}")
    label = "aigate, all 200 records current (200 verify-tag runs)"
    print(f"{label:<58} {all_current:8.3f} {all_current / ours:7.2f}")
    print(f"  (verified signatures in the worst case: {verified})")
    print(
        f"budget {budget:.2f} s: {'met' if ours <= budget else 'MISSED'} (aigate/git log = {ours / log:.1f}x)"
    )
    return 0 if ours <= budget else 1


if __name__ == "__main__":
    sys.exit(main())
