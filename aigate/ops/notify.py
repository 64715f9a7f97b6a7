"""Webhook notifications (``--notify URL``): a Slack/Teams-compatible JSON summary on deny or drift.

A notification is a side channel, never the verdict: a webhook that hangs, fails, or redirects is
reported on stderr and leaves the exit code alone (``--notify-strict`` makes it exit 3). Each post
has a timeout and a bounded number of retries (connection errors, timeouts, 429 and 5xx only).
Redirects are not followed: the payload goes to the host the organisation named or nowhere. The
payload is the summary text after the redaction pass; the webhook URL, whose path is usually the
secret, is never printed beyond its scheme and host.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aigate.errors import GateFailure, UsageError

TIMEOUT_S = 5.0
ATTEMPTS = 3
BACKOFF_S = 0.5
MAX_LINES = 20


@dataclass(frozen=True)
class Outcome:
    target: str  # scheme://host only
    ok: bool
    detail: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx surfaces as an HTTPError: the payload never follows it


def shown(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}{f':{parts.port}' if parts.port else ''}"


def check_urls(urls: list[str]) -> None:
    """Usage errors up front, before the gate runs: only http(s) URLs with a host."""
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise UsageError(f"--notify {shown(url)}: expected an http(s) webhook URL")


def payload(title: str, lines: list[str]) -> bytes:
    """``{"text": ...}``: what Slack incoming webhooks and Teams connectors both accept."""
    from aigate.redact import redact_text

    body = [title, *lines[:MAX_LINES]]
    if len(lines) > MAX_LINES:
        body.append(f"... and {len(lines) - MAX_LINES} more")
    return json.dumps({"text": redact_text("\n".join(body))}, sort_keys=True).encode()


def _post_once(
    opener: urllib.request.OpenerDirector, url: str, data: bytes, timeout: float
) -> tuple[bool, bool, str]:
    """(delivered, worth retrying, detail)."""
    req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    try:
        with opener.open(req, timeout=timeout) as resp:
            return True, False, f"HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        retry = exc.code == 429 or exc.code >= 500
        what = "redirect not followed" if 300 <= exc.code < 400 else "rejected"
        return False, retry, f"HTTP {exc.code} ({what})"
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, True, f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__


def post(url: str, data: bytes, timeout: float = TIMEOUT_S) -> Outcome:
    opener = urllib.request.build_opener(_NoRedirect())
    detail = ""
    for attempt in range(ATTEMPTS):
        ok, retry, detail = _post_once(opener, url, data, timeout)
        if ok:
            return Outcome(shown(url), True, detail)
        if not retry:
            break
        if attempt + 1 < ATTEMPTS:
            time.sleep(BACKOFF_S * (2**attempt))
    return Outcome(shown(url), False, f"{detail} after {attempt + 1} attempt(s)")


def notify_all(
    urls: list[str], summary: dict[str, Any], *, strict: bool = False, timeout: float = TIMEOUT_S
) -> list[Outcome]:
    """Post to every URL; failures are returned (and raised only with ``strict``)."""
    import sys

    data = payload(str(summary.get("title", "aigate")), [str(x) for x in summary.get("lines", [])])
    outcomes = [post(url, data, timeout) for url in urls]
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        print(f"aigate: warning: notification to {o.target} failed: {o.detail}", file=sys.stderr)
    if failed and strict:
        raise GateFailure(f"{len(failed)} of {len(urls)} notification(s) failed (--notify-strict)")
    return outcomes


def check_summary(report_json: str) -> dict[str, Any]:
    """The gate's denial as a title and one line per blocking finding."""
    report = json.loads(report_json)
    denies = [
        f for f in report.get("findings", []) if f.get("severity") == "deny" and f.get("blocking", True)
    ]
    lines = [f"{f.get('control')}/{f.get('rule')}: {f.get('message')}" for f in denies]
    return {
        "title": f"aigate check: {report.get('decision', 'fail').upper()}, {len(lines)} blocking finding(s)",
        "lines": lines,
    }
