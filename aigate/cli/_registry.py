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
