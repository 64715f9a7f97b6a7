"""``aigate check``: run the gate."""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import Any

import click

from aigate.cli import set_verbose
from aigate.cli._common import output_options, pair_outputs, project_option, verbosity_options, write_atomic
from aigate.cli._registry import client_options, local_store, registry_options


def _push_target(push_to: str | None, dry_run: bool) -> Any:
    """The --push destination, checked before any work (a dry run's bundle is not release evidence)."""
    if push_to is None:
        return None
    from aigate.errors import UsageError
    from aigate.oci.reference import parse

    if dry_run:
        raise UsageError("--push stores release evidence; a --dry-run records none")
    target = parse(push_to, what="--push")
    if target.digest:
        raise UsageError("--push names a repository (and optionally a tag), not a digest")
    return target


@click.command("check")
@project_option
@click.option("--manifest", "manifest", help="Manifest file. [default: aigate.yaml in the project]")
@click.option("--policy", "policy_dirs", multiple=True, help="User policy directory or file (repeatable).")
@click.option(
    "--data",
    "data_files",
    multiple=True,
    help="Policy data file, merged over the defaults (repeatable); FILE@sha256:HEX pins its digest.",
)
@click.option(
    "--input",
    "inputs",
    multiple=True,
    help="File for user policies (repeatable; - is stdin), parsed by its name: YAML, JSON, TOML, INI, "
    "HCL2, Dockerfile, .env, XML, .properties, Jsonnet.",
)
@click.option(
    "--parser", "parser", help="Parse every --input with this parser (yaml, json, toml, ini, hcl2, ...)."
)
@click.option(
    "--combine", is_flag=True, help="User policies see all --input documents as one array (conftest)."
)
@click.option(
    "--policy-manifest",
    is_flag=True,
    help="User policies also evaluate the manifest (default: only without --input).",
)
@click.option(
    "--user-data",
    "user_data",
    multiple=True,
    help="Plain YAML/JSON data for user policies, under data. (conftest's --data; file or directory).",
)
@click.option(
    "--namespace",
    "namespaces",
    multiple=True,
    help="User-policy package to evaluate (glob, repeatable). [default: main]",
)
@click.option("--all-namespaces", is_flag=True, help="Evaluate every user-policy package.")
@click.option("--fail-on-warn", is_flag=True, help="Warnings fail the gate (exit 1).")
@click.option(
    "--notify",
    "notify",
    multiple=True,
    help="Webhook URL (Slack/Teams) to post a summary to when the gate denies (repeatable).",
)
@click.option("--notify-strict", is_flag=True, help="A failed notification is an error (exit 3).")
@click.option(
    "--engine",
    type=click.Choice(["embedded", "opa-go", "regopy", "opa"]),
    default="embedded",
    show_default=True,
    help="Policy engine: embedded (OPA's Go engine where installed, else regopy), opa-go, regopy, "
    "or a central OPA server (opa).",
)
@click.option(
    "--rego-version",
    type=click.Choice(["v0", "v1"]),
    default="v1",
    show_default=True,
    help="Rego syntax of the user policies; v0 is refused on every engine (none here parses v0).",
)
@click.option(
    "--cross-check/--no-cross-check",
    default=None,
    help="Evaluate with both embedded engines; any difference exits 3. [default: on when CI is set "
    "and both are installed]",
)
@click.option("--opa-url", envvar="AIGATE_OPA_URL", help="OPA server root URL (env AIGATE_OPA_URL).")
@click.option(
    "--opa-token", envvar="AIGATE_OPA_TOKEN", help="Bearer token for the OPA server (env AIGATE_OPA_TOKEN)."
)
@click.option("--opa-ca", type=click.Path(dir_okay=False), help="CA bundle for an https OPA server.")
@click.option(
    "--opa-timeout", type=float, default=30.0, show_default=True, help="Total deadline per OPA request (s)."
)
@click.option(
    "--opa-preloaded", is_flag=True, help="Query aigate's library already loaded on the OPA server."
)
@click.option(
    "--policy-bundle-key",
    type=click.Path(dir_okay=False),
    help="Key OPA bundles given as --policy must be signed with (PEM public key, or HMAC secret file).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Collect and evaluate; do not sign, do not record the decision; write a bundle only with --bundle-dir.",
)
@click.option(
    "--fast", is_flag=True, help="Pre-commit path: manifest and policies only (no SBOM, lock or hashing)."
)
@click.option(
    "--bundle-dir", type=click.Path(file_okay=False, path_type=Path), help="Write the evidence bundle here."
)
@click.option("--tar", "tarball", is_flag=True, help="Also write BUNDLE_DIR.tar.gz (reproducible).")
@click.option(
    "--python",
    "python",
    help="Inspect this environment (venv directory or interpreter) instead of aigate's own.",
)
@click.option(
    "--sign",
    default="none",
    show_default=True,
    help="Signing: none, keyless (Sigstore, ambient OIDC), key:PATH.",
)
@click.option(
    "--previous",
    help="The previous release's evidence bundle (decision chain, metric regression): a path or oci://REGISTRY/REPO@sha256:...",
)
@click.option(
    "--bundles",
    help="Earlier releases' bundles (chain, rollback target): a directory or oci://REGISTRY/REPOSITORY.",
)
@click.option(
    "--since",
    help="Widen the release range to start at this ancestor commit (default: the previous verified release's).",
)
@click.option("--release-tags", help="Deprecated and ignored: tags never anchor the release range.")
@click.option(
    "--verify-key",
    type=click.Path(dir_okay=False),
    help="Public key earlier releases' bundles must be signed with.",
)
@click.option("--identity", help="Keyless: signer identity earlier bundles must carry (with --issuer).")
@click.option("--issuer", help="Keyless: OIDC issuer of that identity.")
@click.option("--repository", help="Keyless: GitHub repository (owner/name) earlier bundles were signed in.")
@click.option(
    "--trusted-root",
    type=click.Path(dir_okay=False),
    help="Sigstore trusted root JSON for offline keyless verification.",
)
@click.option(
    "--push",
    "push_to",
    metavar="oci://REGISTRY/REPOSITORY[:TAG]",
    help="After a recorded run, push the evidence bundle to this registry as a referrer of the serving image.",
)
@registry_options
@output_options()
@verbosity_options
def command(
    project: Path,
    manifest: str | None,
    policy_dirs: tuple[str, ...],
    data_files: tuple[str, ...],
    inputs: tuple[str, ...],
    parser: str | None,
    combine: bool,
    policy_manifest: bool,
    user_data: tuple[str, ...],
    namespaces: tuple[str, ...],
    all_namespaces: bool,
    fail_on_warn: bool,
    notify: tuple[str, ...],
    notify_strict: bool,
    engine: str,
    rego_version: str,
    cross_check: bool | None,
    opa_url: str | None,
    opa_token: str | None,
    opa_ca: str | None,
    opa_timeout: float,
    opa_preloaded: bool,
    policy_bundle_key: str | None,
    dry_run: bool,
    fast: bool,
    bundle_dir: Path | None,
    tarball: bool,
    python: str | None,
    sign: str,
    previous: str | None,
    bundles: str | None,
    since: str | None,
    release_tags: str | None,
    verify_key: str | None,
    identity: str | None,
    issuer: str | None,
    repository: str | None,
    trusted_root: str | None,
    push_to: str | None,
    plain_http: bool,
    registry_ca: str | None,
    max_pull_bytes: int,
    formats: tuple[str, ...],
    outputs: tuple[Path, ...],
    quiet: bool,
    verbose: bool,
) -> int:
    """Run the gate: collect evidence, evaluate the built-in controls and user policies, decide.

    Exit 0 pass, 1 denied, 2 input error, 3 could not finish.
    """
    set_verbose(verbose)
    if rego_version != "v1":  # refused before any work, on every engine (--engine opa too)
        from aigate.policy.regolint import require_rego_v1

        require_rego_v1(rego_version)
    if notify:
        from aigate.ops.notify import check_urls

        check_urls(list(notify))
    from aigate.gate import CheckConfig, run_check
    from aigate.record import record
    from aigate.report import render

    pairs = pair_outputs(formats, outputs)
    if release_tags is not None:
        click.echo(
            "aigate: --release-tags is ignored: the release range starts at the commit the previous "
            "release's verified decision records, never at a tag (docs/signoffs.md)",
            err=True,
        )
    target = _push_target(push_to, dry_run)
    config = CheckConfig(
        root=project,
        manifest=manifest,
        policy_dirs=policy_dirs,
        data_files=data_files,
        inputs=inputs,
        parser=parser,
        combine=combine,
        policy_manifest=policy_manifest,
        user_data=user_data,
        namespaces=namespaces,
        all_namespaces=all_namespaces,
        fail_on_warn=fail_on_warn,
        engine=engine,
        cross_check=cross_check,
        opa_url=opa_url,
        opa_token=opa_token,
        opa_ca=opa_ca,
        opa_timeout=opa_timeout,
        opa_preloaded=opa_preloaded,
        policy_bundle_key=policy_bundle_key,
        dry_run=dry_run,
        fast=fast,
        bundle_dir=str(bundle_dir) if bundle_dir else None,
        tarball=tarball,
        python=python,
        sign=sign,
        previous=previous,
        bundles=bundles,
        since=since,
        release_tags=release_tags,
        verify_key=verify_key,
        identity=identity,
        issuer=issuer,
        repository=repository,
        trusted_root=trusted_root,
    )
    with contextlib.ExitStack() as stack:  # oci:// stores are pulled (digest-checked) for the run
        registry = (  # the registry client is imported only when a store is in a registry
            client_options(plain_http, registry_ca, max_pull_bytes)
            if any(str(v).startswith("oci://") for v in (config.bundles, config.previous))
            else None
        )
        config = dataclasses.replace(
            config,
            bundles=local_store(config.bundles, stack, registry),
            previous=local_store(config.previous, stack, registry),
        )
        result = record(config, run_check(config))
    for fmt, out in pairs:
        text = render(fmt, result.report)
        if out is None:
            if not quiet or fmt != "text":
                click.echo(text, nl=not text.endswith("\n"))
        else:
            write_atomic(out, text)
    if target is not None and result.report.bundle is not None:
        from aigate.oci.evidence import push_bundle

        pushed = push_bundle(
            Path(result.report.bundle.path), target, options=client_options(plain_http, registry_ca)
        )
        click.echo(f"aigate: pushed the evidence to oci://{pushed.reference}", err=True)
    if quiet:
        click.echo(f"aigate: {result.decision.verdict}", err=True)
    if verbose:
        timing = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in result.timings.items())
        click.echo(f"aigate: timings: {timing}", err=True)
    if notify and result.decision.exit_code() != 0:
        from aigate.ops.notify import check_summary, notify_all

        notify_all(list(notify), check_summary(render("json", result.report)), strict=notify_strict)
    return result.decision.exit_code()
