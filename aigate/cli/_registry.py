"""Registry options shared by ``push``, ``verify`` and ``check --push``."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click


def registry_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option(
        "--max-pull-bytes",
        type=click.IntRange(min=1),
        default=512 * 1024 * 1024,
        show_default=True,
        help="Refuse an evidence layer larger than this (checked before and while downloading).",
    )(fn)
    fn = click.option(
        "--registry-ca",
        type=click.Path(exists=True, dir_okay=False),
        default=lambda: os.environ.get("AIGATE_REGISTRY_CA"),
        help="CA certificate file for the registry's TLS (env AIGATE_REGISTRY_CA). Verification is always on.",
    )(fn)
    fn = click.option(
        "--plain-http",
        is_flag=True,
        help="Talk plain HTTP to a loopback registry (127.0.0.1, ::1, localhost) only.",
    )(fn)
    return fn


def client_options(plain_http: bool, registry_ca: str | None, max_pull_bytes: int = 512 * 1024 * 1024) -> Any:
    from aigate.oci.client import ClientOptions

    return ClientOptions(plain_http=plain_http, ca_file=registry_ca, max_blob=max_pull_bytes)


def local_store(value: str | None, stack: Any, options: Any) -> str | None:
    """A ``--bundles``/``--previous`` value as a local path: ``oci://`` ones are pulled into a temp dir.

    ``--bundles oci://REGISTRY/REPO`` becomes a directory of every evidence artifact in the
    repository; ``--previous oci://REGISTRY/REPO@sha256:...`` the one bundle. Everything pulled
    is digest-checked; the directory code then verifies it exactly as it verifies a local store.
    """
    if value is None or not value.startswith("oci://"):
        return value
    import tempfile
    from pathlib import Path

    from aigate.oci.evidence import materialize_store, pull_bundle
    from aigate.oci.reference import parse

    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="aigate-store-")))
    ref = parse(value, what="bundle store")
    if ref.digest:
        return str(pull_bundle(ref, tmp, options))
    return str(materialize_store(ref, tmp / "store", options))


def shown_path(path: str, store: str) -> str:
    """A pulled bundle's temp path as the registry reference it came from (for reports)."""
    import re

    if not store.startswith("oci://"):
        return path
    m = re.search(r"sha256-([0-9a-f]{64})\.tar\.gz$", path)
    base = store.split("@", 1)[0]
    return f"{base}@sha256:{m.group(1)}" if m else path
