"""A local stand-in for a central OPA server (127.0.0.1 only), evaluating with OPA's Go engine.

It implements the part of OPA's REST API that aigate's OPA engine uses and behaves the way OPA's
server does (read in OPA's ``v1/server/server.go``): every ``PUT /v1/policies/{id}`` compiles the
*whole stored set* plus the new module with the real OPA engine (``opa_bindings``, OPA's Go code
as a shared library) and answers 400 with OPA's error shape when that fails; ``DELETE`` compiles
what remains; ``POST /v1/data/{path}`` evaluates with the real engine and answers ``{"result": ...}``,
or ``{}`` when the document is undefined. ``PUT/PATCH/DELETE /v1/data/{path}`` edit the data store;
``GET /v1/data/system/bundles`` lists bundles loaded with :meth:`OpaStandIn.load_bundle`.

Fault modes (``fault=``), applied to the methods in ``fault_methods``: ``"500"``, ``"slow"`` (answers
after ``slow_seconds``), ``"trickle"`` (one byte every ``trickle_seconds``), ``"malformed"`` (200 with a
body that is not JSON), ``"undefined"`` (200 ``{}``). ``token=`` makes every request without
``Authorization: Bearer <token>`` a 401, as OPA's ``--authentication=token`` does.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from opa_bindings.engine import OpaEngine, OpaError, OpaUndefinedError

_ERROR_LINE = re.compile(r"^(?P<file>\S+?):(?P<row>\d+): (?P<code>\w+): (?P<msg>.*)$")


def opa_errors(message: str) -> list[dict[str, Any]]:
    """OPA's ``errors[]`` from the engine's flattened message (file:row: code: text, caret lines)."""
    text = message.split("occurred:", 1)[-1] if "occurred:" in message else message
    lines = text.strip("\n").split("\n")
    out: list[dict[str, Any]] = []
    for i, line in enumerate(lines):
        m = _ERROR_LINE.match(line.strip())
        if not m:
            continue
        col = 1
        if i + 2 < len(lines) and lines[i + 2].strip() == "^":  # source line, then the caret line
            col = len(lines[i + 2].lstrip("\t").rstrip())
        out.append(
            {
                "code": m.group("code"),
                "message": m.group("msg"),
                "location": {"file": m.group("file"), "row": int(m.group("row")), "col": col},
            }
        )
    return out


class OpaStandIn:
    def __init__(
        self,
        *,
        token: str | None = None,
        fault: str | None = None,
        fault_methods: tuple[str, ...] = ("POST",),
        slow_seconds: float = 30.0,
        trickle_seconds: float = 0.5,
        barrier: int = 0,
    ) -> None:
        self.policies: dict[str, str] = {}
        self.data: dict[str, Any] = {}
        self.bundles: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.token = token
        self.fault = fault
        self.fault_methods = fault_methods
        self.slow_seconds = slow_seconds
        self.trickle_seconds = trickle_seconds
        #: with ``barrier=N``, the first query of each run root waits until N runs have uploaded, so
        #: concurrent runs provably overlap on the server (the isolation test needs that)
        self.barrier = threading.Barrier(barrier) if barrier else None
        self._roots_seen: set[str] = set()
        self.max_policies = 0  # the most modules stored at once (isolation tests read it)
        self._lock = threading.RLock()
        self._engine: OpaEngine | None = None
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> OpaStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the store, compiled with OPA's engine ---------------------------------

    def _build(self, policies: dict[str, str]) -> OpaEngine:
        """A fresh OPA engine over ``policies`` and the data; raises OpaError when it does not compile."""
        engine = OpaEngine()
        for pid, source in sorted(policies.items()):
            engine.add_policy(pid, source)
        engine.add_data({**self.data, "system": {"bundles": self.bundles}})
        engine.eval_query("true")  # forces compilation of the whole set, as OPA's server does
        return engine

    def try_store(self, pid: str, source: str | None) -> list[dict[str, Any]] | None:
        """Store (or, with ``None``, delete) one module if the resulting set compiles; else its errors."""
        with self._lock:
            candidate = dict(self.policies)
            if source is None:
                candidate.pop(pid, None)
            else:
                candidate[pid] = source
            try:
                engine = self._build(candidate)
            except OpaError as exc:
                return opa_errors(exc.message) or [{"code": exc.code, "message": exc.message}]
            self.policies = candidate
            self.max_policies = max(self.max_policies, len(candidate))
            self._swap(engine)
            return None

    def _swap(self, engine: OpaEngine | None) -> None:
        if self._engine is not None:
            self._engine.close()
        self._engine = engine

    def load_bundle(
        self, name: str, policies: dict[str, str], data: dict[str, Any], manifest: dict[str, Any]
    ) -> None:
        """What ``opa run --server bundle.tar.gz`` would hold: modules, data, and the bundle's manifest."""
        with self._lock:
            self.policies.update(policies)
            _merge(self.data, data)
            self.bundles[name] = {"manifest": manifest}
            self._swap(self._build(self.policies))

    def evaluate(self, path: str, input_doc: Any) -> Any:
        """``data.<path>``: the value, or raises OpaUndefinedError / OpaError."""
        with self._lock:
            if self._engine is None:
                self._engine = self._build(self.policies)
            return self._engine.eval_document(path.replace("/", ".").strip("."), input_doc)

    def write_data(self, method: str, keys: list[str], value: Any) -> None:
        with self._lock:
            if method == "PATCH":
                for op in value:
                    sub = [k for k in str(op["path"]).split("/") if k]
                    _set(self.data, keys + sub, None if op["op"] == "remove" else op.get("value"))
            else:
                _set(self.data, keys, None if method == "DELETE" else value)
            self._swap(None)

    # -- HTTP --------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _send(self, code: int, body: Any = None, raw: bytes | None = None) -> None:
                data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
                head = (
                    f"HTTP/1.1 {code} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
                ).encode()
                if outer.fault == "trickle" and self.command in outer.fault_methods:
                    for byte in head + data:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(outer.trickle_seconds)
                    return
                self.wfile.write(head + data)
                self.close_connection = True

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length", "0")))

            def _gate(self) -> bool:
                """Auth and injected faults; True when the request was answered here."""
                outer.requests.append((self.command, urlsplit(self.path).path))
                if outer.token and self.headers.get("Authorization") != f"Bearer {outer.token}":
                    self._body()
                    self._send(401, {"code": "unauthorized", "message": "authentication required"})
                    return True
                root = urlsplit(self.path).path.split("/")[3:4]
                if self.command == "POST" and outer.barrier and root and root[0] not in outer._roots_seen:
                    outer._roots_seen.add(root[0])
                    outer.barrier.wait(timeout=60)
                if self.command not in outer.fault_methods or outer.fault in (None, "trickle"):
                    return False
                self._body()
                if outer.fault == "slow":
                    time.sleep(outer.slow_seconds)
                    self._send(200, {"result": {}})
                elif outer.fault == "500":
                    self._send(500, {"code": "internal_error", "message": "injected fault"})
                elif outer.fault == "malformed":
                    self._send(200, raw=b'{"result": {"oops"')
                elif outer.fault == "undefined":
                    self._send(200, {})
                return True

            def _route(self) -> tuple[str, str]:
                path = unquote(urlsplit(self.path).path)
                for prefix in ("/v1/policies/", "/v1/data"):
                    if path.startswith(prefix):
                        return prefix, path[len(prefix) :].strip("/")
                return "", path

            def do_PUT(self) -> None:
                if self._gate():
                    return
                prefix, rest = self._route()
                body = self._body()
                if prefix == "/v1/policies/":
                    errors = outer.try_store(rest, body.decode("utf-8", "replace"))
                    if errors:
                        self._send(
                            400,
                            {
                                "code": "invalid_parameter",
                                "message": "error(s) occurred while compiling module(s)",
                                "errors": errors,
                            },
                        )
                    else:
                        self._send(200, {})
                elif prefix == "/v1/data":
                    outer.write_data("PUT", [k for k in rest.split("/") if k], json.loads(body))
                    self._send(204)
                else:
                    self._send(404, {"code": "resource_not_found", "message": "not found"})

            def do_PATCH(self) -> None:
                if self._gate():
                    return
                _, rest = self._route()
                outer.write_data("PATCH", [k for k in rest.split("/") if k], json.loads(self._body()))
                self._send(204)

            def do_DELETE(self) -> None:
                if self._gate():
                    return
                prefix, rest = self._route()
                if prefix == "/v1/policies/":
                    if rest not in outer.policies:
                        self._send(
                            404, {"code": "resource_not_found", "message": f"storage_not_found_error: {rest}"}
                        )
                        return
                    errors = outer.try_store(rest, None)
                    if errors:
                        self._send(
                            400, {"code": "invalid_parameter", "message": "compile error", "errors": errors}
                        )
                        return
                else:
                    outer.write_data("DELETE", [k for k in rest.split("/") if k], None)
                self._send(
                    200 if prefix == "/v1/policies/" else 204, {} if prefix == "/v1/policies/" else None
                )

            def do_GET(self) -> None:
                if self._gate():
                    return
                if urlsplit(self.path).path == "/v1/policies":  # OPA's List Policies
                    with outer._lock:
                        listed = [{"id": pid, "raw": src} for pid, src in sorted(outer.policies.items())]
                    self._send(200, {"result": listed})
                    return
                self._evaluate(None)

            def do_POST(self) -> None:
                if self._gate():
                    return
                try:
                    body = json.loads(self._body() or b"{}")
                except ValueError:
                    self._send(400, {"code": "invalid_parameter", "message": "body is not JSON"})
                    return
                self._evaluate(body.get("input"))

            def _evaluate(self, input_doc: Any) -> None:
                _, rest = self._route()
                try:
                    result = outer.evaluate(rest, input_doc)
                except OpaUndefinedError:
                    self._send(200, {})
                    return
                except OpaError as exc:
                    self._send(
                        500,
                        {"code": "internal_error", "message": exc.message, "errors": opa_errors(exc.message)},
                    )
                    return
                self._send(200, {"result": result})

        return Handler


def _set(node: dict[str, Any], keys: list[str], value: Any) -> None:
    """Set (``value is None``: remove) the value at ``keys``; the root itself is replaced wholesale."""
    if not keys:
        node.clear()
        if isinstance(value, dict):
            node.update(value)
        return
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    if value is None:
        node.pop(keys[-1], None)
    else:
        node[keys[-1]] = value


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into[k] = v
