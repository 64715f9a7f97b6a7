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
#: (``@`` may be percent-encoded, as in a purl's ``download_url`` qualifier)
_URL_CREDS = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^/\s:@]*):([^/\s@]+?)(@|%40)")
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
    out = _URL_CREDS.sub(lambda m: f"{m.group(1)}{m.group(2)}:{REDACTED}{m.group(4)}", out)
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


# --- redaction of whole files and outputs (the bundle writer, the reporters, the CLI) ---------
#
# Inside files a name is only trusted when it is unmistakably a credential's: "key" alone
# (``kms_key``, ``key_features``) or "auth" (``auth: mtls``) name things auditors need to read.
# Value patterns above catch the shaped tokens under any name.
_FIELD_NAME = re.compile(
    r"(?i)(?:token|secret|passw(?:or)?d|passphrase|credential|cookie|dsn|connection_string|webhook"
    r"|(?:api|access|private|secret|client|signing|deploy|license|account|master)[_\-.]?key"
    r"|apikey|auth[_\-.]?header|authorization|(?:^|[_\-.])pat$|private[_\-.]?token)"
)
_FIELD_EXCEPTIONS = re.compile(r"(?i)(?:_(?:present|count|set|path|file|env|name|type)|^token_kind)$")
#: values that are never secrets even under a secret name: references, digests, flags, numbers
_HARMLESS_VALUE = re.compile(
    r"(?i)^(?:|\[REDACTED\]|true|false|null|none|yes|no|~|\d{1,12}|sha256:[0-9a-f]{64}|arn:[^\s]*"
    r"|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\*+|<[^>]*>|env:[A-Za-z_][A-Za-z0-9_]*)$"
)
_JSON_PAIR = re.compile(r'"(?P<k>[^"\\\n]{1,100})"(?P<sep>\s*:\s*)"(?P<v>[^"\\\n]*(?:\\.[^"\\\n]*)*)"')
_LINE_PAIR = re.compile(
    r"(?im)^(?P<pre>[ \t]*(?:-[ \t]+)?(?:export[ \t]+)?)(?P<k>[A-Za-z_][A-Za-z0-9_.\-]{0,100})"
    r"(?P<sep>[ \t]*[:=][ \t]*)(?P<v>[^\s\[{|>\"'#][^\r\n]{0,65535}|\"[^\"\r\n]{0,65535}\"|'[^'\r\n]{0,65535}')"
    r"[ \t]*$"
)
_INLINE_PAIR = re.compile(
    r"(?i)\b(?P<k>[A-Za-z_][A-Za-z0-9_.\-]{0,100})(?P<sep>=|:[ \t]*)(?P<v>[^\s\"'\\,;&<>{}\[\]()]{1,4096})"
)


#: lower-case literals one of which every match of a value pattern contains (a cheap pre-filter)
_LITERALS: dict[str, tuple[str, ...]] = {
    "pem-private-key": ("private key",),
    "github-token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    "github-pat": ("github_pat_",),
    "gitlab-token": ("glpat-", "gldt-", "glptt-", "glrt-", "glcbt-", "gloas-", "glft-"),
    "aws-access-key-id": ("akia", "asia", "abia", "acca", "aida", "aroa"),
    "slack-token": ("xox",),
    "slack-webhook": ("hooks.slack.com",),
    "api-key-sk": ("sk-", "rk-"),
    "stripe-key": ("_live_", "_test_"),
    "huggingface-token": ("hf_",),
    "pypi-token": ("pypi-age",),
    "npm-token": ("npm_",),
    "google-api-key": ("aiza",),
    "jwt": ("eyj",),
    "bearer-token": ("bearer",),
    "azure-storage-key": ("accountkey=",),
}
_FIELD_WORDS = (
    "token", "secret", "passw", "passphrase", "credential", "cookie", "dsn", "connection_string",
    "webhook", "key", "authorization", "auth", "pat",
)  # fmt: skip


def is_secret_field(name: str) -> bool:
    """True when a field name inside a file names a credential (stricter than :func:`is_secret_name`)."""
    return bool(_FIELD_NAME.search(name)) and not _FIELD_EXCEPTIONS.search(name)


def _pair_sub(text: str, rx: re.Pattern[str], counter: list[int]) -> str:
    """Replace the value of every ``name<sep>value`` match whose name is a credential's.

    A match whose name is harmless is skipped only up to its value, not past it, so that
    ``url: https://h/?access_token=...`` still finds the pair nested in the value.
    """
    parts: list[str] = []
    pos = done = 0
    while (m := rx.search(text, pos)) is not None:
        value = m.group("v")
        bare = value.strip("\"'").strip()
        if not is_secret_field(m.group("k")) or _HARMLESS_VALUE.match(bare):
            pos = m.start("v") if m.start("v") > m.start() else m.end()
            continue
        counter[0] += 1
        # a whole-line value keeps its quotes, and a bare one gains them: YAML would read a bare
        # [REDACTED] as a list (inside a string or URL no quote may be added)
        quote = (value[0] if value[:1] in ("'", '"') else '"') if rx is _LINE_PAIR else ""
        parts.append(text[done : m.start("v")] + quote + REDACTED + quote)
        pos = done = m.end("v")
    parts.append(text[done:])
    return "".join(parts)


def redact_text_counted(text: str) -> tuple[str, int]:
    """``text`` with secrets removed by value pattern *and* by field name; returns (text, count).

    The one pass every byte of evidence and output goes through: JSON ``"name": "value"``
    pairs, YAML/INI/env ``name: value`` lines and ``name=value`` (query strings, CI URLs) are
    redacted when the name is a credential's; shaped tokens anywhere. Replacements never
    contain quotes or backslashes, so JSON, XML and YAML stay well-formed.
    """
    counter = [0]
    out = text
    lower = text.lower()
    for kind, rx in VALUE_PATTERNS:
        if any(lit in lower for lit in _LITERALS[kind]):  # a C substring scan skips most patterns
            out, n = rx.subn(REDACTED, out)
            counter[0] += n
    if "://" in out and ("@" in out or "%40" in out):
        out, n = _URL_CREDS.subn(lambda m: f"{m.group(1)}{m.group(2)}:{REDACTED}{m.group(4)}", out)
        counter[0] += n
        out, n = _URL_TOKEN_USER.subn(lambda m: f"{m.group(1)}{REDACTED}@", out)
        counter[0] += n
    if any(word in lower for word in _FIELD_WORDS) and _FIELD_NAME.search(out):
        out = "".join(_pair_line(line, counter) for line in out.splitlines(keepends=True))
    return out, counter[0]


def _pair_line(line: str, counter: list[int]) -> str:
    """The name-based pass over one line, run only where a credential word and a separator occur."""
    low = line.lower()
    if ("=" not in line and ":" not in line) or not any(word in low for word in _FIELD_WORDS):
        return line
    for rx in (_JSON_PAIR, _LINE_PAIR, _INLINE_PAIR):
        line = _pair_sub(line, rx, counter)
    return line


def redact_output(text: str) -> str:
    """What a reporter or the CLI may print: :func:`redact_text_counted` without the count."""
    return redact_text_counted(text)[0]


def redact_bytes(data: bytes) -> tuple[bytes, int]:
    """A file's bytes with secrets removed; undecodable bytes pass through unchanged (surrogateescape)."""
    low = data.lower()  # bytes: fast substring scans; most evidence files hold no candidate at all
    words = [w.encode() for lits in _LITERALS.values() for w in lits] + [w.encode() for w in _FIELD_WORDS]
    if b"://" not in low and not any(w in low for w in words):
        return data, 0
    text = data.decode("utf-8", "surrogateescape")
    out, count = redact_text_counted(text)
    if count == 0:
        return data, 0
    return out.encode("utf-8", "surrogateescape"), count
