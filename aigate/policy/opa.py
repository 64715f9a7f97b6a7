"""The OPA-server engine, for organisations that run a central OPA.

aigate uploads the exact policy set it evaluated locally (built-in library plus user policies,
under policy ids ``aigate/<name>``) and the policy data (at ``data.aigate.config``), then queries
``POST /v1/data/<path>`` with the input document. So the policy-set digest in the evidence is the
digest of what the server evaluated. An unreachable server, a rejected upload for a reason other
than a compile error, or an error response is a :class:`GateFailure` (exit 3); a compile error the
server reports is an :class:`InputError` (exit 2) with its file and position.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from aigate.errors import EngineError, GateFailure, InputError, Position
from aigate.policy.interface import Engine, PolicyModule


class OpaEngine(Engine):
    name = "opa"

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 30.0) -> None:
        from opa_client import OpaClient

        parsed = urllib.parse.urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise InputError(f"--opa-url must be an http(s) URL, got {url!r}")
        if parsed.path not in ("", "/"):
            raise InputError(f"--opa-url must name the server root (no path), got {url!r}")
        self.url = url
        port = parsed.port or (443 if parsed.scheme == "https" else 8181)
        self._client = OpaClient(
            host=parsed.hostname,
            port=port,
            ssl=parsed.scheme == "https",
            token=token,
            timeout=timeout,
            retries=1,
        )
        self._policy_ids: list[str] = []
        self.cleanup_failed = False

    def _fail(self, what: str, exc: Exception) -> GateFailure:
        detail = getattr(exc, "message", None) or str(exc)
        return GateFailure(f"OPA server {self.url}: {what}: {str(detail).strip()[:200]}")

    def compile(self, modules: list[PolicyModule], data: dict[str, Any]) -> None:
        import requests

        session = self._client._session
        root = self._client.root_url
        try:
            for module in modules:
                policy_id = "aigate/" + module.name.replace("builtin:", "builtin/")
                resp = session.put(
                    f"{root}/policies/{urllib.parse.quote(policy_id, safe='/')}",
                    data=module.source.encode("utf-8"),
                    headers={"Content-Type": "text/plain"},
                    timeout=self._client.timeout,
                )
                if resp.status_code == 400:
                    raise self._compile_error(resp.json(), module)
                if resp.status_code != 200:
                    raise GateFailure(
                        f"OPA server {self.url}: uploading {module.name} returned HTTP {resp.status_code}"
                    )
                self._policy_ids.append(policy_id)
            resp = session.put(
                f"{root}/data/aigate/config",
                json=data.get("aigate", {}).get("config", {}),
                timeout=self._client.timeout,
            )
            if resp.status_code not in (200, 204):
                raise GateFailure(
                    f"OPA server {self.url}: uploading policy data returned HTTP {resp.status_code}"
                )
        except requests.RequestException as exc:
            raise self._fail("unreachable", exc) from None

    def _compile_error(self, body: dict[str, Any], module: PolicyModule) -> InputError:
        errors = body.get("errors") or []
        first = errors[0] if errors else {}
        loc = first.get("location") or {}
        position = Position(module.name, loc.get("row"), loc.get("col"))
        message = first.get("message") or body.get("message") or "policy does not compile"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return InputError(f"policy does not compile: {message}{more}", position=position)

    def query(self, path: str, input_doc: Any) -> Any:
        import requests

        url = f"{self._client.root_url}/data/{path.replace('.', '/')}"
        try:
            resp = self._client._session.post(url, json={"input": input_doc}, timeout=self._client.timeout)
        except requests.RequestException as exc:
            raise self._fail("unreachable", exc) from None
        if resp.status_code != 200:
            try:
                message = resp.json().get("message", "")
            except ValueError:
                message = resp.text[:200]
            raise EngineError(
                f"OPA server {self.url}: evaluating data.{path} failed (HTTP {resp.status_code}): {message}"
            )
        try:
            body = resp.json()
        except ValueError:
            raise EngineError(f"OPA server {self.url}: the response is not JSON") from None
        return body.get("result")

    def close(self) -> None:
        """Remove the uploaded policies; failure to clean up does not change the decision."""
        import requests

        try:
            for policy_id in self._policy_ids:
                self._client._session.delete(
                    f"{self._client.root_url}/policies/{urllib.parse.quote(policy_id, safe='/')}",
                    timeout=self._client.timeout,
                )
        except requests.RequestException:
            self.cleanup_failed = True
        finally:
            self._client.close_connection()
