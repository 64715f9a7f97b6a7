"""The OPA-server engine, for organisations that run a central OPA.

What a real OPA server does decides the design (read in OPA's ``v1/server/server.go``): every
``PUT /v1/policies/{id}`` compiles the *whole stored set* plus the new module, and every
``DELETE`` compiles what remains. So modules are uploaded in dependency order (a module after
the modules whose packages it references) and deleted in the reverse order; a module that
still fails with a type error is retried after the others, and only a round that makes no
progress is an error.

Concurrent runs on one server must never see each other's modules. Each run gets a unique
root ``aigate_run_<hex>``: every ``package p`` becomes ``package aigate_run_<hex>.p`` and every
``data`` reference becomes ``data.aigate_run_<hex>`` — rewritten on the token stream (strings,
raw strings and comments are left alone), so ``data.aigate.config`` resolves to this run's
policy data, uploaded at ``/v1/data/aigate_run_<hex>``. Policy ids are
``aigate/<hex>/<name>``. Both are deleted afterwards.

``preloaded=True`` uploads nothing: the organisation loaded aigate's library as a bundle on the
server, and the engine queries ``data.aigate`` there after checking that a bundle owns that root.

Fail closed: an unreachable server, a timeout, a non-JSON answer, an error status or an
undefined decision is a :class:`GateFailure`/:class:`EngineError` (exit 3); a compile error is an
:class:`InputError` (exit 2) naming the original file, row and column. Every request has a
*total* deadline (a watchdog closes the socket), not only a per-read timeout, so a server that
trickles one byte every 20 s cannot hold the gate. Credentials (a bearer token, or user:password
in the URL) are sent but never shown: every message names the server by its redacted URL.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import json
import re
import secrets
import socket
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from aigate.errors import EngineError, GateFailure, InputError, Position, UsageError
from aigate.policy.interface import Engine, PolicyModule

MAX_RESPONSE_BYTES = 64 * 1024 * 1024
RETRY_STATUS = (502, 503, 504)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LOCATION = re.compile(r"^(?P<file>[^\s:]+):(?P<row>\d+)(?::(?P<col>\d+))?:\s*(?P<code>\w+):\s*(?P<msg>.*)$")


# --------------------------------------------------------------------------- rewriting


@dataclass
class Rewritten:
    """A module moved under the run's root, with what is needed to map errors back to it."""

    module: PolicyModule
    source: str
    package: str
    refs: set[str] = field(default_factory=set)  # data.<path> references, original spelling
    shifts: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # row -> (col, added)

    def original_col(self, row: int, col: int) -> int:
        """The 1-based column in the original source of ``col`` on ``row`` of the rewritten one."""
        r, acc = col - 1, 0
        for at, added in sorted(self.shifts.get(row, [])):
            if r < at + acc:
                break
            if r < at + acc + added:
                return at + 1
            acc += added
        return r - acc + 1


def rewrite_module(module: PolicyModule, root: str) -> Rewritten:
    """Prefix the package with ``root`` and every ``data`` reference with ``data.<root>``.

    A scan over Rego's lexical structure: ``#`` comments, ``"..."`` strings with escapes and
    raw strings in backquotes are copied untouched, so a decoy ``package`` or ``data.x``
    inside a string is not rewritten. ``data`` after a ``.`` is a field name, not the root.
    """
    src = module.source
    out: list[str] = []
    out_refs: set[str] = set()
    shifts: dict[int, list[tuple[int, int]]] = {}
    i, row, line_start, n = 0, 1, 0, len(src)
    prev = ""  # last significant character outside comments and strings
    line_has_token = False
    package = ""
    while i < n:
        c = src[i]
        if c == "\n":
            out.append(c)
            i += 1
            row, line_start, line_has_token = row + 1, i, False
            continue
        if c == "#":
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(src[i:j])
            i = j
            continue
        if c in '"`':
            j = _string_end(src, i)
            out.append(src[i:j])
            row += src.count("\n", i, j)
            if "\n" in src[i:j]:
                line_start = src.rfind("\n", i, j) + 1
            i, prev, line_has_token = j, c, True
            continue
        m = _IDENT.match(src, i) if (c.isalpha() or c == "_") else None
        if m is None:
            if c.isdigit():
                j = i
                while j < n and (src[j].isalnum() or src[j] in "._"):
                    j += 1
                out.append(src[i:j])
                i, prev, line_has_token = j, "0", True
                continue
            out.append(c)
            if not c.isspace():
                prev, line_has_token = c, True
            i += 1
            continue
        word = m.group(0)
        col = i - line_start + 1
        if word == "package" and not line_has_token and not package:
            insert = f"{root}."
            j = m.end()
            while j < n and src[j] in " \t":
                j += 1
            out.append(src[i:j] + insert)
            shifts.setdefault(row, []).append((j - line_start, len(insert)))
            package = _package_name(src, j)
            i = j
        elif word == "data" and prev != ".":
            insert = f".{root}"
            out.append(word + insert)
            shifts.setdefault(row, []).append((col - 1 + len(word), len(insert)))
            out_refs.add(_dotted_after(src, m.end()))
            i = m.end()
        else:
            out.append(word)
            i = m.end()
        prev, line_has_token = "a", True
    return Rewritten(module, "".join(out), package, out_refs, shifts)


def _string_end(src: str, i: int) -> int:
    """Index just past the string literal starting at ``i`` (unterminated: end of source)."""
    quote = src[i]
    j = i + 1
    while j < len(src):
        if quote == '"' and src[j] == "\\":
            j += 2
            continue
        if src[j] == quote:
            return j + 1
        if quote == '"' and src[j] == "\n":
            return j
        j += 1
    return len(src)


def _dotted_after(src: str, j: int) -> str:
    """The ``.a.b.c`` path that follows ``data`` (for dependency ordering only)."""
    parts: list[str] = []
    while j < len(src) and src[j] == ".":
        m = _IDENT.match(src, j + 1)
        if not m:
            break
        parts.append(m.group(0))
        j = m.end()
    return ".".join(parts)


def _package_name(src: str, j: int) -> str:
    m = re.match(r"[A-Za-z_][\w.]*", src[j:])
    return m.group(0) if m else ""


def dependency_order(mods: list[Rewritten]) -> list[Rewritten]:
    """Modules ordered so each comes after the packages it references (Kahn; ties by name).

    A cycle between packages leaves its members in name order; the upload retries them.
    """

    def depends(a: Rewritten, b: Rewritten) -> bool:
        if not b.package or a.package == b.package:
            return False
        return any(r == b.package or r.startswith(b.package + ".") for r in a.refs)

    remaining = sorted(mods, key=lambda m: m.module.name)
    ordered: list[Rewritten] = []
    while remaining:
        ready = [m for m in remaining if not any(depends(m, o) for o in remaining if o is not m)]
        if not ready:
            ordered.extend(remaining)
            break
        ordered.extend(ready)
        remaining = [m for m in remaining if m not in ready]
    return ordered


# --------------------------------------------------------------------------- transport


class _Timeout(Exception):
    pass


class OpaHttp:
    """HTTP to one OPA server with a total deadline per request and bounded retries."""

    def __init__(
        self, url: str, *, token: str | None, ca_file: str | None, deadline: float, retries: int
    ) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise UsageError(f"--opa-url must be an http(s) URL, got {redact_url(url)!r}")
        if parsed.path not in ("", "/") or parsed.query or parsed.fragment:
            raise UsageError(f"--opa-url must name the server root (no path), got {redact_url(url)!r}")
        self.display = redact_url(url)
        self.https = parsed.scheme == "https"
        self.host = parsed.hostname
        try:
            self.port = parsed.port or (443 if self.https else 8181)
        except ValueError:
            raise UsageError(f"--opa-url has an invalid port: {self.display!r}") from None
        self.deadline = deadline
        self.retries = retries
        self.headers: dict[str, str] = {}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        elif parsed.username is not None:
            user = urllib.parse.unquote(parsed.username)
            pw = urllib.parse.unquote(parsed.password or "")
            self.headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()
        self.context: ssl.SSLContext | None = None
        if self.https:
            try:
                self.context = ssl.create_default_context(cafile=ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise InputError(f"--opa-ca {ca_file}: not a readable CA bundle ({exc})") from None
        elif ca_file:
            raise UsageError("--opa-ca applies to an https:// --opa-url")

    def request(
        self, method: str, path: str, body: bytes | None = None, ctype: str = ""
    ) -> tuple[int, bytes]:
        """Send one request; retry refused connections and 502/503/504, never a timeout."""
        what = f"{method} {path.split('?')[0]}"
        for attempt in range(self.retries + 1):
            try:
                status, data = self._once(method, path, body, ctype)
            except _Timeout:
                raise GateFailure(
                    f"OPA server {self.display}: no complete answer within {self.deadline:g} s ({what})",
                    hint="raise --opa-timeout, or check the server",
                ) from None
            except (OSError, http.client.HTTPException) as exc:
                if attempt < self.retries and not isinstance(exc, ssl.SSLError):
                    time.sleep(0.2 * 2**attempt)
                    continue
                raise GateFailure(f"OPA server {self.display}: unreachable: {_reason(exc)}") from None
            if status in RETRY_STATUS and attempt < self.retries:
                time.sleep(0.2 * 2**attempt)
                continue
            return status, data
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, method: str, path: str, body: bytes | None, ctype: str) -> tuple[int, bytes]:
        conn: http.client.HTTPConnection
        if self.https:
            conn = http.client.HTTPSConnection(
                self.host, self.port, timeout=self.deadline, context=self.context
            )
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.deadline)
        fired = threading.Event()

        def abort() -> None:
            fired.set()
            sock = conn.sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        timer = threading.Timer(self.deadline, abort)
        timer.daemon = True
        timer.start()
        try:
            headers = dict(self.headers)
            if ctype:
                headers["Content-Type"] = ctype
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read(MAX_RESPONSE_BYTES + 1)
            if len(data) > MAX_RESPONSE_BYTES:
                raise GateFailure(f"OPA server {self.display}: answer larger than {MAX_RESPONSE_BYTES} bytes")
            if fired.is_set():
                raise _Timeout()
            return resp.status, data
        except (OSError, http.client.HTTPException) as exc:
            if fired.is_set() or isinstance(exc, TimeoutError):  # the watchdog, or one read that long
                raise _Timeout() from None
            raise
        finally:
            timer.cancel()
            conn.close()


def redact_url(url: str) -> str:
    """``url`` with any ``user:password@`` removed: what every message shows."""
    try:
        parsed = urllib.parse.urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    netloc = parsed.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parsed.scheme, netloc, parsed.path, "", ""))


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _in_aigate(source: str, name: str) -> bool:
    """Whether a module's parsed package statement is ``aigate`` or under it."""
    from aigate.policy.regolint import package_of

    try:
        package = package_of(source, name)
    except InputError:
        return False
    return package == "aigate" or package.startswith("aigate.")


# --------------------------------------------------------------------------- engine


class OpaEngine(Engine):
    name = "opa"

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        ca_file: str | None = None,
        timeout: float = 30.0,
        retries: int = 2,
        preloaded: bool = False,
    ) -> None:
        if not 0 < timeout <= 600:
            raise UsageError(f"--opa-timeout must be between 0 and 600 seconds, got {timeout:g}")
        self.http = OpaHttp(url, token=token, ca_file=ca_file, deadline=timeout, retries=retries)
        self.url = self.http.display
        self.preloaded = preloaded
        self.run_id = secrets.token_hex(8)
        self.root = "" if preloaded else f"aigate_run_{self.run_id}"
        self._uploaded: list[tuple[str, Rewritten]] = []  # (policy id, module), upload order
        self._data_uploaded = False
        self._ids: dict[str, Rewritten] = {}
        self.cleanup_failed = False
        self.bundles: dict[str, Any] = {}  # preloaded: the server's bundles that own data.aigate

    # -- upload ---------------------------------------------------------------

    def compile(self, modules: list[PolicyModule], data: dict[str, Any]) -> None:
        if self.preloaded:
            self._check_preloaded()
            self._check_server_library(modules, data)
            return
        status, raw = self.http.request(
            "PUT", f"/v1/data/{self.root}", json.dumps(data).encode(), "application/json"
        )
        if status not in (200, 204):
            raise self._status_error("uploading policy data", status, raw)
        self._data_uploaded = True
        pending = dependency_order([rewrite_module(m, self.root) for m in modules])
        self._ids = {self._policy_id(m): m for m in pending}
        while pending:
            failed: list[tuple[Rewritten, dict[str, Any]]] = []
            for mod in pending:
                policy_id = self._policy_id(mod)
                err = self._put_policy(policy_id, mod)
                if err is None:
                    self._uploaded.append((policy_id, mod))
                else:
                    failed.append((mod, err))
            if not failed:
                return
            if len(failed) == len(pending) or any(not _order_error(e) for _, e in failed):
                bad = next((f for f in failed if not _order_error(f[1])), failed[0])
                raise self._compile_error(bad[1])
            pending = [m for m, _ in failed]

    def _policy_id(self, mod: Rewritten) -> str:
        return f"aigate/{self.run_id}/{mod.module.name.replace('builtin:', 'builtin/')}"

    def _put_policy(self, policy_id: str, mod: Rewritten) -> dict[str, Any] | None:
        """PUT one module; ``None`` when stored, OPA's error body when it does not compile."""
        status, raw = self.http.request(
            "PUT",
            "/v1/policies/" + urllib.parse.quote(policy_id, safe="/"),
            mod.source.encode(),
            "text/plain",
        )
        if status == 200:
            return None
        body = _json(raw)
        if status == 400 and isinstance(body, dict):
            return body
        raise self._status_error(f"uploading {mod.module.name}", status, raw)

    def _compile_error(self, body: dict[str, Any]) -> InputError:
        """OPA's 400 body as an InputError at the original file, row and column."""
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        first = errors[0] if errors else {}
        loc = _dict(first.get("location"))
        policy_file = str(loc.get("file") or "")
        mod = self._ids.get(policy_file)
        row = loc.get("row") if isinstance(loc.get("row"), int) else None
        col = loc.get("col") if isinstance(loc.get("col"), int) else None
        name = mod.module.name if mod else policy_file or "<OPA server>"
        if mod and row and col:
            col = mod.original_col(row, col)
        message = str(first.get("message") or body.get("message") or "policy does not compile")
        if self.root:
            message = message.replace(f"data.{self.root}.", "data.").replace(f"{self.root}.", "")
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return InputError(f"policy does not compile: {message}{more}", position=Position(name, row, col))

    def _check_preloaded(self) -> None:
        """A bundle on the server must own ``data.aigate``: else the queries would judge nothing."""
        status, raw = self.http.request("GET", "/v1/data/system/bundles")
        body = _json(raw)
        if status != 200 or not isinstance(body, dict):
            raise self._status_error("reading the server's bundles", status, raw)
        for name, info in sorted(_dict(body.get("result")).items()):
            manifest = _dict(_dict(info).get("manifest"))
            roots = manifest.get("roots", [""]) if manifest else []
            if any(isinstance(r, str) and (r in ("", "aigate") or r.startswith("aigate/")) for r in roots):
                self.bundles[name] = {"revision": manifest.get("revision", ""), "roots": roots}
        if not self.bundles:
            raise GateFailure(
                f"OPA server {self.url}: --opa-preloaded, but no bundle on the server owns data.aigate",
                hint="load aigate's policy library as a bundle on the server, or drop --opa-preloaded",
            )

    def _check_server_library(self, modules: list[PolicyModule], data: dict[str, Any]) -> None:
        """The server must hold exactly this aigate's library and this run's policy data.

        The decision records this library's digest, and the controls' catalogue, levels and the
        waiver and maturity rules applied after evaluation come from the local library and policy
        data; a server running another library or another bar would make the decision name
        policies that did not judge it. Either difference is exit 3, naming what differs.
        """
        status, raw = self.http.request("GET", "/v1/policies")
        body = _json(raw)
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get("result"), list):
            raise self._status_error("listing the server's policies", status, raw)
        server: dict[str, str] = {}  # sha256 of the source -> policy id, for aigate's packages
        for item in body["result"]:
            src, pid = _dict(item).get("raw"), _dict(item).get("id")
            if isinstance(src, str) and isinstance(pid, str) and _in_aigate(src, pid):
                server[hashlib.sha256(src.encode()).hexdigest()] = pid
        local = {hashlib.sha256(m.source.encode()).hexdigest(): m.name for m in modules if m.builtin}
        extra = sorted(pid for sha, pid in server.items() if sha not in local)
        missing = sorted(name for sha, name in local.items() if sha not in server)
        if extra or missing:
            revisions = ", ".join(f"{n}@{b.get('revision') or '-'}" for n, b in sorted(self.bundles.items()))
            sample = (extra + missing)[:3]
            raise GateFailure(
                f"OPA server {self.url}: the aigate library in bundle {revisions} is not this aigate's: "
                f"{len(extra)} module(s) only on the server, {len(missing)} only here (e.g. {', '.join(sample)})",
                hint="build the server's bundle from this aigate version's library (the installed package's "
                "aigate/_policies directory), or drop --opa-preloaded to upload it per run",
            )
        status, raw = self.http.request("GET", "/v1/data/aigate/config")
        answer = _json(raw)
        if status != 200 or not isinstance(answer, dict):
            raise self._status_error("reading data.aigate.config", status, raw)
        wanted = _dict(data.get("aigate")).get("config")
        if _canonical(answer.get("result")) != _canonical(wanted):
            raise GateFailure(
                f"OPA server {self.url}: data.aigate.config on the server differs from the policy data "
                "this run loaded (defaults and --data); the rules and the decision would apply two bars",
                hint="pass the same policy data with --data, or load the organisation's policy data into the bundle",
            )

    # -- query ----------------------------------------------------------------

    def query(self, path: str, input_doc: Any) -> Any:
        full = f"{self.root}.{path}" if self.root else path
        status, raw = self.http.request(
            "POST",
            f"/v1/data/{full.replace('.', '/')}?strict-builtin-errors=true",
            json.dumps({"input": input_doc}).encode(),
            "application/json",
        )
        if status != 200:
            raise self._status_error(f"evaluating data.{path}", status, raw, EngineError)
        body = _json(raw)
        if not isinstance(body, dict):
            raise EngineError(
                f"OPA server {self.url}: evaluating data.{path}: the answer is not a JSON object"
            )
        if "result" not in body:
            raise EngineError(
                f"OPA server {self.url}: data.{path} is undefined on the server (nothing was evaluated)"
            )
        return body["result"]

    def _status_error(
        self, what: str, status: int, raw: bytes, kind: type[GateFailure] = GateFailure
    ) -> GateFailure:
        body = _json(raw)
        message = ""
        if isinstance(body, dict):
            message = str(body.get("message") or body.get("code") or "")
            errors = body.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                message = str(errors[0].get("message") or message)
        if self.root:
            message = message.replace(f"{self.root}.", "").replace(f"{self.root}/", "")
        detail = f": {message.strip()[:200]}" if message.strip() else ""
        hint = "check --opa-token / AIGATE_OPA_TOKEN" if status in (401, 403) else None
        return kind(f"OPA server {self.url}: {what} failed (HTTP {status}){detail}", hint=hint)

    # -- cleanup --------------------------------------------------------------

    def close(self) -> None:
        """Delete this run's modules (reverse upload order: OPA recompiles on DELETE) and data.

        A failed clean-up does not change the decision; ``cleanup_failed`` records it.
        """
        for policy_id, _ in reversed(self._uploaded):
            self._delete("/v1/policies/" + urllib.parse.quote(policy_id, safe="/"))
        self._uploaded = []
        if self._data_uploaded:
            self._delete(f"/v1/data/{self.root}")
            self._data_uploaded = False

    def _delete(self, path: str) -> None:
        try:
            status, _ = self.http.request("DELETE", path)
        except GateFailure:
            self.cleanup_failed = True
            return
        if status not in (200, 204, 404):
            self.cleanup_failed = True


def _order_error(body: dict[str, Any]) -> bool:
    """A compile error that another module uploaded later could resolve (an undefined ref)."""
    errors = body.get("errors") or []
    return bool(errors) and all(
        isinstance(e, dict)
        and e.get("code") in ("rego_type_error", "rego_compile_error")
        and "undefined" in str(e.get("message", ""))
        for e in errors
    )
