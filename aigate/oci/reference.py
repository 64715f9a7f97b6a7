"""``oci://REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST]`` and plain ``REGISTRY/REPO@sha256:...``."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from aigate.errors import UsageError

_REPO = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_HOST = re.compile(r"^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?$")


@dataclass(frozen=True)
class Reference:
    registry: str  # host[:port]
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def host(self) -> str:
        h = self.registry
        if h.startswith("["):
            return h[1 : h.index("]")]
        return h.rsplit(":", 1)[0] if ":" in h else h

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def with_digest(self, digest: str) -> Reference:
        return Reference(self.registry, self.repository, None, digest)

    def __str__(self) -> str:
        out = f"{self.registry}/{self.repository}"
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out


def is_oci(text: str) -> bool:
    return text.startswith("oci://")


def parse(text: str, *, what: str = "OCI reference") -> Reference:
    """Parse ``oci://host/repo[:tag][@digest]`` (the scheme is optional); exit 2 on anything else."""
    raw = text[len("oci://") :] if text.startswith("oci://") else text
    if "/" not in raw:
        raise UsageError(f"{what} {text!r} must be REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST]")
    registry, _, rest = raw.partition("/")
    digest = None
    if "@" in rest:
        rest, _, digest = rest.partition("@")
        if not _DIGEST.match(digest):
            raise UsageError(f"{what} {text!r}: the digest must be sha256:<64 hex>")
    tag = None
    last = rest.rsplit("/", 1)[-1]
    if ":" in last:
        rest, _, tag = rest.rpartition(":")
        if not _TAG.match(tag):
            raise UsageError(f"{what} {text!r}: {tag!r} is not a valid tag")
    if not _HOST.match(registry) or not _REPO.match(rest):
        raise UsageError(f"{what} {text!r}: not a valid registry/repository name")
    return Reference(registry, rest, tag, digest)
