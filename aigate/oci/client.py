"""A small OCI distribution client: blobs, manifests, referrers; auth; bounded, verified reads.

Written here rather than taken from ``oras`` (oras-py): aigate needs the ``subject`` field and the
referrers API with the spec's tag-schema fallback, digest verification of everything pulled
before it is used, a size cap applied while streaming, credentials that never reach a message,
and plain HTTP refused except for loopback registries when asked. That is a few hundred lines
on ``requests`` (already a dependency through sigstore); the protocol parts are the
distribution-spec 1.1 endpoints only.

Errors: anything the registry or the network does wrong is :class:`GateFailure` (exit 3); content
that does not match its digest or exceeds its limit is :class:`VerificationFailure` (exit 1).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from aigate.errors import GateFailure, UsageError, VerificationFailure
from aigate.oci import DOCKER_MANIFEST_TYPES, INDEX_MEDIA_TYPE, MANIFEST_MEDIA_TYPE
from aigate.oci.reference import Reference

MAX_MANIFEST = 4 * 1024 * 1024
DEFAULT_MAX_BLOB = 512 * 1024 * 1024
TIMEOUT = 30.0
RETRIES = 3
CHUNK = 1 << 20
ACCEPT = ", ".join([MANIFEST_MEDIA_TYPE, INDEX_MEDIA_TYPE, *DOCKER_MANIFEST_TYPES])


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    source: str  # where they came from (never the values): for messages


def _docker_config_auth(registry: str) -> Credentials | None:
    """Credentials for ``registry`` from the Docker config file (``DOCKER_CONFIG`` or ~/.docker)."""
    base = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    path = base / "config.json"
    try:
        conf = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read the Docker config file ({type(exc).__name__})") from None
    helper = (conf.get("credHelpers") or {}).get(registry) or conf.get("credsStore")
    entry = (conf.get("auths") or {}).get(registry) or (conf.get("auths") or {}).get(f"https://{registry}")
    if isinstance(entry, dict):
        if isinstance(entry.get("auth"), str):
            try:
                user, _, pw = base64.b64decode(entry["auth"]).decode("utf-8").partition(":")
            except ValueError:
                raise UsageError(
                    f"{path}: the auth entry for {registry} is not base64 user:password"
                ) from None
            return Credentials(user, pw, str(path))
        if isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str):
            return Credentials(entry["username"], entry["password"], str(path))
    if isinstance(helper, str) and helper:
        return _credential_helper(helper, registry)
    return None


def _credential_helper(helper: str, registry: str) -> Credentials | None:
    try:
        proc = subprocess.run(
            [f"docker-credential-{helper}", "get"],
            input=registry,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        raise GateFailure(f"docker-credential-{helper} could not be run for {registry}") from None
    if proc.returncode != 0:
        return None
    try:
        out = json.loads(proc.stdout)
        return Credentials(str(out["Username"]), str(out["Secret"]), f"docker-credential-{helper}")
    except (ValueError, KeyError, TypeError):
        raise GateFailure(f"docker-credential-{helper} answered something that is not credentials") from None


def find_credentials(registry: str) -> Credentials | None:
    """``AIGATE_REGISTRY_USERNAME``/``AIGATE_REGISTRY_PASSWORD``, else the Docker config file."""
    user = os.environ.get("AIGATE_REGISTRY_USERNAME")
    password = os.environ.get("AIGATE_REGISTRY_PASSWORD")
    if user and password:
        return Credentials(user, password, "AIGATE_REGISTRY_USERNAME/AIGATE_REGISTRY_PASSWORD")
    return _docker_config_auth(registry)


@dataclass(frozen=True)
class ClientOptions:
    plain_http: bool = False  # only for loopback registries, and only when asked
    ca_file: str | None = None
    max_blob: int = DEFAULT_MAX_BLOB
    timeout: float = TIMEOUT


class Registry:
    """One registry host; all methods take the repository and raise aigate errors."""

    def __init__(self, ref: Reference, options: ClientOptions | None = None) -> None:
        import requests

        self.options = options or ClientOptions()
        if self.options.plain_http and not ref.is_loopback:
            raise UsageError(f"plain HTTP is allowed only for a loopback registry, not {ref.registry}")
        self.registry = ref.registry
        scheme = "http" if self.options.plain_http else "https"
        self.base = f"{scheme}://{ref.registry}/v2"
        self.session = requests.Session()
        self.session.verify = self.options.ca_file or True
        self.session.headers["User-Agent"] = "aigate-oci"
        self._credentials = find_credentials(ref.registry)
        self._auth_header: str | None = None

    # -- transport ---------------------------------------------------------------------
    def _request(
        self, method: str, url: str, *, what: str, headers: dict[str, str] | None = None, **kw: Any
    ) -> Any:
        """One request with auth, bounded retries on 5xx and connection errors, and timeouts."""
        import requests

        kw.setdefault("timeout", self.options.timeout)
        # per request: a session-level ``verify`` loses to REQUESTS_CA_BUNDLE in requests' merge
        kw.setdefault("verify", self.options.ca_file or True)
        last = ""
        attempts = 0
        auth_rounds = 0
        while attempts < RETRIES:
            sent = dict(headers or {})
            if self._auth_header:
                sent["Authorization"] = self._auth_header
            try:
                resp = self.session.request(method, url, headers=sent, **kw)
            except requests.exceptions.SSLError:
                raise GateFailure(
                    f"registry {self.registry}: TLS verification failed",
                    hint="give the registry's CA with --registry-ca (verification is never turned off)",
                ) from None
            except requests.RequestException as exc:
                last = type(exc).__name__
                attempts += 1
                time.sleep(0.2 * attempts)
                continue
            if resp.status_code == 401 and auth_rounds < 2 and self._authenticate(resp):
                auth_rounds += 1
                continue
            if resp.status_code >= 500:
                last = f"HTTP {resp.status_code}"
                attempts += 1
                time.sleep(0.2 * attempts)
                continue
            return resp
        raise GateFailure(f"registry {self.registry}: {what} failed after {RETRIES} attempts ({last})")

    def _authenticate(self, resp: Any) -> bool:
        """Answer a 401 once: Basic with the credentials, or the Bearer token flow. False: give up."""
        challenge = resp.headers.get("WWW-Authenticate", "")
        creds = self._credentials
        if self._auth_header is not None and self._auth_header.startswith("Basic"):
            return False  # the credentials were refused
        scheme, _, params = challenge.partition(" ")
        if scheme.lower() == "basic":
            if creds is None:
                return False
            token = base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()
            self._auth_header = f"Basic {token}"
            return True
        if scheme.lower() == "bearer":
            if self._auth_header is not None and self._auth_header.startswith("Bearer"):
                return False
            fields = dict(part.split("=", 1) for part in _split_challenge(params) if "=" in part)
            fields = {k.strip(): v.strip().strip('"') for k, v in fields.items()}
            realm = fields.pop("realm", "")
            if not realm.startswith(("https://", "http://")):
                return False
            auth = (creds.username, creds.password) if creds else None
            try:
                tok = self.session.get(
                    realm,
                    params=fields,
                    auth=auth,
                    timeout=self.options.timeout,
                    verify=self.options.ca_file or True,
                )
            except Exception:
                raise GateFailure(f"registry {self.registry}: the token service did not answer") from None
            if tok.status_code != 200:
                return False
            try:
                body = tok.json()
                value = body.get("token") or body.get("access_token")
            except ValueError:
                value = None
            if not isinstance(value, str):
                raise GateFailure(f"registry {self.registry}: the token service answered no token")
            self._auth_header = f"Bearer {value}"
            return True
        return False

    def _fail(self, resp: Any, what: str) -> GateFailure:
        detail = ""
        try:
            errors = resp.json().get("errors") or []
            if errors:
                detail = f": {errors[0].get('code', '')} {str(errors[0].get('message', ''))[:120]}"
        except (ValueError, AttributeError):
            pass
        if resp.status_code in (401, 403):
            source = self._credentials.source if self._credentials else "no credentials found"
            return GateFailure(
                f"registry {self.registry}: {what}: HTTP {resp.status_code} (not authorised; credentials: {source})",
                hint="set AIGATE_REGISTRY_USERNAME/AIGATE_REGISTRY_PASSWORD or log in (docker login)",
            )
        return GateFailure(f"registry {self.registry}: {what}: HTTP {resp.status_code}{detail}")

    def _url(self, repo: str, *parts: str) -> str:
        return "/".join([self.base, repo, *(urllib.parse.quote(p, safe=":") for p in parts)])

    # -- blobs -------------------------------------------------------------------------
    def has_blob(self, repo: str, digest: str) -> bool:
        resp = self._request("HEAD", self._url(repo, "blobs", digest), what=f"checking blob {digest[:19]}")
        if resp.status_code == 200:
            return True
        if resp.status_code == 404:
            return False
        raise self._fail(resp, f"checking blob {digest[:19]}")

    def push_blob(self, repo: str, data: bytes, digest: str | None = None) -> str:
        digest = digest or sha256_digest(data)
        if self.has_blob(repo, digest):
            return digest
        resp = self._request("POST", self._url(repo, "blobs", "uploads") + "/", what="starting an upload")
        if resp.status_code != 202 or "Location" not in resp.headers:
            raise self._fail(resp, "starting an upload")
        location = urllib.parse.urljoin(self.base, resp.headers["Location"])
        sep = "&" if "?" in location else "?"
        resp = self._request(
            "PUT",
            f"{location}{sep}digest={urllib.parse.quote(digest)}",
            what=f"uploading blob {digest[:19]}",
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        if resp.status_code != 201:
            raise self._fail(resp, f"uploading blob {digest[:19]}")
        return digest

    def fetch_blob(self, repo: str, digest: str, out: IO[bytes], *, limit: int | None = None) -> int:
        """Stream a blob into ``out``, refusing more than ``limit`` bytes and a digest mismatch."""
        limit = self.options.max_blob if limit is None else limit
        resp = self._request(
            "GET", self._url(repo, "blobs", digest), what=f"fetching blob {digest[:19]}", stream=True
        )
        if resp.status_code != 200:
            raise self._fail(resp, f"fetching blob {digest[:19]}")
        h = hashlib.sha256()
        total = 0
        for chunk in _iter(resp):
            total += len(chunk)
            if total > limit:
                resp.close()
                raise VerificationFailure(
                    f"blob {digest} from {self.registry} is larger than the {limit}-byte limit"
                )
            h.update(chunk)
            out.write(chunk)
        if "sha256:" + h.hexdigest() != digest:
            raise VerificationFailure(f"blob {digest} from {self.registry} does not match its digest")
        return total

    def blob_bytes(self, repo: str, digest: str, limit: int) -> bytes:
        import io

        buf = io.BytesIO()
        self.fetch_blob(repo, digest, buf, limit=limit)
        return buf.getvalue()

    # -- manifests ---------------------------------------------------------------------
    def put_manifest(self, repo: str, body: bytes, media_type: str, reference: str) -> tuple[str, Any]:
        resp = self._request(
            "PUT",
            self._url(repo, "manifests", reference),
            what=f"pushing manifest {reference[:19]}",
            data=body,
            headers={"Content-Type": media_type},
        )
        if resp.status_code not in (200, 201):
            raise self._fail(resp, f"pushing manifest {reference[:19]}")
        return sha256_digest(body), resp

    def get_manifest(self, repo: str, reference: str) -> tuple[bytes, str] | None:
        """(raw bytes, media type) of a manifest, checked against its digest; None when absent."""
        resp = self._request(
            "GET",
            self._url(repo, "manifests", reference),
            what=f"fetching manifest {reference[:19]}",
            headers={"Accept": ACCEPT},
            stream=True,
        )
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise self._fail(resp, f"fetching manifest {reference[:19]}")
        raw = b""
        for chunk in _iter(resp):
            raw += chunk
            if len(raw) > MAX_MANIFEST:
                raise VerificationFailure(
                    f"manifest {reference} from {self.registry} is larger than {MAX_MANIFEST} bytes"
                )
        if reference.startswith("sha256:") and sha256_digest(raw) != reference:
            raise VerificationFailure(f"manifest {reference} from {self.registry} does not match its digest")
        media = resp.headers.get("Content-Type", "").split(";")[0].strip()
        return raw, media

    def tags(self, repo: str, limit: int = 10000) -> list[str]:
        """The repository's tags (``/tags/list``, following ``Link`` pages), at most ``limit``."""
        url: str | None = self._url(repo, "tags", "list") + "?n=1000"
        out: list[str] = []
        while url and len(out) < limit:
            resp = self._request("GET", url, what="listing tags")
            if resp.status_code == 404:
                return []
            if resp.status_code != 200:
                raise self._fail(resp, "listing tags")
            try:
                tags = resp.json().get("tags") or []
            except ValueError:
                raise GateFailure(f"registry {self.registry}: the tag list is not JSON") from None
            out.extend(str(t) for t in tags if isinstance(t, str))
            link = resp.links.get("next", {}).get("url")
            url = urllib.parse.urljoin(self.base, link) if link else None
        return out[:limit]

    def referrers(self, repo: str, digest: str) -> list[dict[str, Any]]:
        """Descriptors of the manifests whose ``subject`` is ``digest``: the API, else the tag schema."""
        resp = self._request(
            "GET",
            self._url(repo, "referrers", digest),
            what="listing referrers",
            headers={"Accept": INDEX_MEDIA_TYPE},
        )
        if resp.status_code == 200 and resp.headers.get("Content-Type", "").startswith(INDEX_MEDIA_TYPE):
            return _manifests_of(resp.content, f"referrers of {digest}")
        if resp.status_code not in (404, 400, 405):
            raise self._fail(resp, "listing referrers")
        got = self.get_manifest(repo, fallback_tag(digest))
        return _manifests_of(got[0], f"referrers tag of {digest}") if got else []


def fallback_tag(digest: str) -> str:
    """The referrers tag schema of distribution-spec 1.1: ``sha256-<hex>``."""
    alg, _, hexpart = digest.partition(":")
    return f"{alg}-{hexpart}"


def _manifests_of(raw: bytes, what: str) -> list[dict[str, Any]]:
    try:
        doc = json.loads(raw)
    except ValueError:
        raise GateFailure(f"{what}: the registry answered something that is not JSON") from None
    manifests = doc.get("manifests") if isinstance(doc, dict) else None
    if not isinstance(manifests, list):
        raise GateFailure(f"{what}: not an image index")
    return [m for m in manifests if isinstance(m, dict)]


def _iter(resp: Any) -> Iterator[bytes]:
    yield from resp.iter_content(CHUNK)


def _split_challenge(params: str) -> list[str]:
    """Split ``a="x,y",b=z`` on the commas outside quotes."""
    out, cur, quoted = [], "", False
    for ch in params:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        out.append(cur)
    return out
