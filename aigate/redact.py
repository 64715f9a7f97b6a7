"""Secret redaction: nothing that looks like a credential enters evidence or output.

Two independent nets, because each misses what the other catches:

- **by name**: a variable or key whose name contains ``TOKEN``, ``SECRET``, ``PASSWORD``,
  ``KEY``, ``CREDENTIAL``, ... is redacted whatever its value (an AWS secret key is 40
  random characters with no recognisable shape);
- **by value**: a value (or any text) containing a known token shape (GitHub, GitLab, AWS,
  Slack, OpenAI/Anthropic-style ``sk-``, Hugging Face, PyPI, npm, Google, Stripe, JWTs, PEM
  private keys, ``user:pass@`` in URLs) is redacted wherever it appears, under any name.

Every redaction is recorded (name and reason, never the value), so the evidence says that
something was removed. The lead also passes rendered output through :func:`redact_text`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"

#: substrings of a variable/key name that mark its value secret (case-insensitive)
SECRET_NAME_PARTS = (
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "KEY",
    "CREDENTIAL",
    "PRIVATE",
    "AUTH",
    "COOKIE",
    "SESSION",
    "SIGNATURE",
    "DSN",
    "CONNECTION_STRING",
    "WEBHOOK",
    "PAT",
)
_NAME_RE = re.compile(
    "|".join(
        # PAT only as a whole word (GITHUB_PAT, not PATH); the others anywhere in the name
        r"(?:^|_)PAT(?:_|$)" if part == "PAT" else re.escape(part)
        for part in SECRET_NAME_PARTS
    ),
    re.IGNORECASE,
)
#: names that contain a secret-looking part but are known harmless
_NAME_EXCEPTIONS = frozenset({"PYTHONHASHSEED", "KEYBOARD", "SSH_AUTH_SOCK_PRESENT"})

#: (kind, pattern) — the kind is recorded, the match is replaced
VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "pem-private-key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?"
            r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\Z)",
            re.DOTALL,
        ),
    ),
    ("github-token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b")),
    ("github-pat", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}")),
    ("gitlab-token", re.compile(r"\bgl(?:pat|dt|ptt|rt|cbt|oas|ft)-[A-Za-z0-9_\-]{20,}")),
    ("aws-access-key-id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA)[A-Z0-9]{16}\b")),
    ("slack-token", re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{10,}")),
    ("slack-webhook", re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+")),
    ("api-key-sk", re.compile(r"\b(?:sk|rk)-(?:proj-|ant-(?:api\d+-)?|live-|test-)?[A-Za-z0-9_\-]{20,}")),
    ("stripe-key", re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("huggingface-token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
    ("pypi-token", re.compile(r"\bpypi-AgE[A-Za-z0-9_\-]{40,}")),
    ("npm-token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("bearer-token", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/\-]{16,}=*")),
    ("azure-storage-key", re.compile(r"(?i)AccountKey=[A-Za-z0-9+/=]{40,}")),
)
#: credentials in a URL's userinfo: the password (and a token-only userinfo) is replaced
_URL_CREDS = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^/\s:@]*):([^/\s@]+)@")
_URL_TOKEN_USER = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^/\s:@]{16,})@")


def is_secret_name(name: str) -> bool:
    """True when a variable/key name says its value is a secret."""
    return name.upper() not in _NAME_EXCEPTIONS and bool(_NAME_RE.search(name))


def secret_kinds(text: str) -> list[str]:
    """The kinds of secret-shaped values found in ``text`` (empty: none)."""
    kinds = [kind for kind, rx in VALUE_PATTERNS if rx.search(text)]
    if _URL_CREDS.search(text) or _URL_TOKEN_USER.search(text):
        kinds.append("url-credentials")
    return kinds


def redact_text(text: str) -> str:
    """``text`` with every secret-shaped value replaced by ``[REDACTED]`` (shape-preserving around it)."""
    out = text
    for _kind, rx in VALUE_PATTERNS:
        out = rx.sub(REDACTED, out)
    out = _URL_CREDS.sub(lambda m: f"{m.group(1)}{m.group(2)}:{REDACTED}@", out)
    out = _URL_TOKEN_USER.sub(lambda m: f"{m.group(1)}{REDACTED}@", out)
    return out


def redact_value(name: str, value: str) -> tuple[str, str | None]:
    """(redacted value, reason or None): by name first, then by value pattern."""
    if is_secret_name(name):
        return REDACTED, "name"
    kinds = secret_kinds(value)
    if kinds:
        return redact_text(value), "value:" + ",".join(kinds)
    return value, None


def redact_mapping(data: Any, *, _prefix: str = "") -> tuple[Any, list[dict[str, str]]]:
    """Deep-copy ``data`` (mappings, lists, strings) with secrets redacted; returns (copy, redactions).

    Mapping keys that name a secret have their whole value replaced; every string anywhere is
    scanned for secret-shaped values. Each redaction is ``{"name": dotted.path, "reason": ...}``.
    """
    redactions: list[dict[str, str]] = []

    def walk(obj: Any, path: str) -> Any:
        if isinstance(obj, Mapping):
            out: dict[Any, Any] = {}
            for k, v in obj.items():
                sub = f"{path}.{k}" if path else str(k)
                if (
                    isinstance(k, str)
                    and is_secret_name(k)
                    and isinstance(v, (str, bytes, int, float))
                    and v != ""
                ):
                    out[k] = REDACTED
                    redactions.append({"name": sub, "reason": "name"})
                else:
                    out[k] = walk(v, sub)
            return out
        if isinstance(obj, (list, tuple)):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, str):
            kinds = secret_kinds(obj)
            if kinds:
                redactions.append({"name": path, "reason": "value:" + ",".join(kinds)})
                return redact_text(obj)
            return obj
        return obj

    return walk(data, _prefix), redactions
