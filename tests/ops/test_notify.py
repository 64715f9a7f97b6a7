"""``--notify``: a local HTTP server on 127.0.0.1 stands in for the Slack/Teams webhook (it answers,
fails with 500, hangs, or redirects). The real CLI posts to it; the exit code stays the verdict."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aigate_cli import aigate, committed_copy

SECRET_PATH = "/services/T000/B000/XXXXsecrettokenXXXX"


class Hook:
    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                hook.posts.append((self.path, body))
                if self.path.startswith("/fail"):
                    self.send_response(500)
                elif self.path.startswith("/hang"):
                    time.sleep(2)
                    self.send_response(200)
                elif self.path.startswith("/redirect"):
                    self.send_response(302)
                    self.send_header("Location", "/elsewhere")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.server.shutdown()


def _drift(tmp_path: Path, *args: str, drifting: bool = True) -> object:
    ref = tmp_path / "ref.csv"
    cur = tmp_path / "cur.csv"
    ref.write_text("x\n" + "".join(f"{i % 50}\n" for i in range(400)))
    cur.write_text("x\n" + "".join(f"{i % 50 + (30 if drifting else 0)}\n" for i in range(400)))
    return aigate(
        "drift", "--reference", str(ref), "--current", str(cur), "--output", str(tmp_path / "r.json"), *args
    )


def test_drift_posts_a_summary(tmp_path: Path, hook: Hook) -> None:
    run = _drift(tmp_path, "--notify", hook.url + SECRET_PATH)
    assert run.returncode == 1, run
    [(path, body)] = hook.posts
    assert path == SECRET_PATH and set(body) == {"text"}
    assert body["text"].startswith("aigate drift: 1 of 1 columns drifted") and "x: ks" in body["text"]


def test_no_drift_no_post(tmp_path: Path, hook: Hook) -> None:
    run = _drift(tmp_path, "--notify", hook.url + "/ok", drifting=False)
    assert run.returncode == 0, run
    assert hook.posts == []


def test_500_is_retried_reported_and_keeps_the_verdict(tmp_path: Path, hook: Hook) -> None:
    run = _drift(tmp_path, "--notify", hook.url + "/fail" + SECRET_PATH)
    assert run.returncode == 1, run
    assert len(hook.posts) == 3  # bounded retries
    assert f"notification to {hook.url} failed: HTTP 500 (rejected) after 3 attempt(s)" in run.stderr
    assert "secrettoken" not in run.stderr + run.stdout


def test_hang_times_out_and_keeps_the_verdict(tmp_path: Path, hook: Hook) -> None:
    t0 = time.monotonic()
    run = _drift(tmp_path, "--notify", hook.url + "/hang", "--notify-timeout", "0.3")
    assert run.returncode == 1, run
    assert "failed: TimeoutError" in run.stderr or "timed out" in run.stderr, run.stderr
    assert time.monotonic() - t0 < 30


def test_redirect_is_not_followed(tmp_path: Path, hook: Hook) -> None:
    run = _drift(tmp_path, "--notify", hook.url + "/redirect")
    assert run.returncode == 1, run
    assert [p for p, _ in hook.posts] == ["/redirect"]  # /elsewhere never received the payload
    assert "HTTP 302 (redirect not followed)" in run.stderr


def test_strict_turns_a_failed_notification_into_exit_3(tmp_path: Path, hook: Hook) -> None:
    run = _drift(tmp_path, "--notify", hook.url + "/fail", "--notify-strict")
    assert run.returncode == 3, run


def test_non_http_url_is_a_usage_error(tmp_path: Path) -> None:
    run = _drift(tmp_path, "--notify", "file:///etc/passwd")
    assert run.returncode == 2, run


def test_check_posts_on_deny_and_keeps_exit_1(tmp_path: Path, hook: Hook) -> None:
    project = committed_copy("fraud-detector-failing", tmp_path)
    down = "http://127.0.0.1:9/unreachable"  # nothing listens on the discard port
    run = aigate(
        "check",
        "--dry-run",
        "-C",
        str(project),
        "--data",
        str(project / "policy-data.yaml"),
        "--notify",
        hook.url + "/ok",
        "--notify",
        down,
    )
    assert run.returncode == 1, run
    [(_, body)] = hook.posts
    assert body["text"].startswith("aigate check: FAIL, ") and "blocking finding(s)" in body["text"]
    assert "IOLOG/retention-too-short" in body["text"]
    assert "notification to http://127.0.0.1:9 failed" in run.stderr
