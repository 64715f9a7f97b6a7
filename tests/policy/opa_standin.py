"""A local stand-in for a central OPA server (127.0.0.1 only).

It implements the part of OPA's REST API that aigate's OPA engine uses — ``PUT/DELETE
/v1/policies/{id}``, ``PUT /v1/data/{path}``, ``POST /v1/data/{path}`` with ``{"input": ...}`` —
and evaluates with regopy, so the test exercises aigate's real HTTP client code against a peer
that answers like OPA (status codes, ``{"result": ...}`` bodies, 400 with ``errors[].location``
for a policy that does not compile). It records every request so tests can assert on them.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class OpaStandIn:
    def __init__(self) -> None:
        self.policies: dict[str, str] = {}
        self.data: dict[str, Any] = {}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
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

    def _evaluate(self, path: str, input_doc: Any) -> Any:
        from regopy import Interpreter

        interp = Interpreter()
        for pid, source in sorted(self.policies.items()):
            interp.add_module(pid, source)
        interp.add_data_json(json.dumps(self.data))
        interp.set_input_term(json.dumps(input_doc))
        out = interp.query("x = data." + path.replace("/", "."))
        if not out.ok():
            raise RuntimeError("evaluation failed")
        result = json.loads(str(out))
        return result.get("bindings", {}).get("x")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, code: int, body: Any = None) -> None:
                raw = b"" if body is None else json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length", "0")))

            def do_PUT(self) -> None:
                outer.requests.append(("PUT", self.path))
                body = self._body()
                if self.path.startswith("/v1/policies/"):
                    source = body.decode()
                    if re.search(r":=\s*input\.\w+\s*\+\s*$", source, re.MULTILINE):
                        line = next(
                            i for i, ln in enumerate(source.splitlines(), 1) if ln.rstrip().endswith("+")
                        )
                        self._send(
                            400,
                            {
                                "code": "invalid_parameter",
                                "message": "error(s) occurred while compiling module(s)",
                                "errors": [
                                    {
                                        "code": "rego_parse_error",
                                        "message": "unexpected eof token",
                                        "location": {"file": self.path, "row": line, "col": 14},
                                    }
                                ],
                            },
                        )
                        return
                    with outer._lock:
                        outer.policies[self.path[len("/v1/policies/") :]] = source
                    self._send(200, {})
                elif self.path.startswith("/v1/data/"):
                    keys = [k for k in self.path[len("/v1/data/") :].split("/") if k]
                    with outer._lock:
                        node = outer.data
                        for k in keys[:-1]:
                            node = node.setdefault(k, {})
                        node[keys[-1]] = json.loads(body)
                    self._send(204)
                else:
                    self._send(404, {"code": "resource_not_found"})

            def do_DELETE(self) -> None:
                outer.requests.append(("DELETE", self.path))
                with outer._lock:
                    outer.policies.pop(self.path[len("/v1/policies/") :], None)
                self._send(200, {})

            def do_POST(self) -> None:
                outer.requests.append(("POST", self.path))
                body = json.loads(self._body() or b"{}")
                path = self.path[len("/v1/data/") :]
                try:
                    with outer._lock:
                        result = outer._evaluate(path, body.get("input"))
                except Exception as exc:
                    self._send(500, {"code": "internal_error", "message": str(exc)})
                    return
                self._send(200, {} if result is None else {"result": result})

        return Handler
