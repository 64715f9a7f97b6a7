"""``aigate approve``: record a signed approval of the current release in git.

The approval is a signed annotated tag (see :mod:`aigate.signoff.record`) made by ``git tag -s``,
so it uses exactly the signing set-up the approver already has for git: ``user.signingkey`` and
``gpg.format`` (``ssh`` or ``openpgp``). aigate never touches private keys.

The tag binds what the approver has in front of them: the commit at HEAD, the model digest of the
artifacts on disk and the digest of the manifest file. The manifest (and any tracked artifact)
must be committed and unmodified, otherwise the approval would bind content that CI never sees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigate.errors import InputError, SigningError
from aigate.signoff.approvers import parse_approvers
from aigate.signoff.digests import artifact_files, manifest_digest, model_digest
from aigate.signoff.gitcmd import open_repository
from aigate.signoff.gitsource import split_tag_object
from aigate.signoff.record import FETCH_REFSPEC, ApprovalPayload, tag_name


@dataclass(frozen=True)
class ApprovalCreated:
    tag: str  # short tag name (without refs/tags/)
    object_id: str  # the tag object
    payload: ApprovalPayload
    signature_format: str  # "ssh" | "openpgp" | "x509"

    @property
    def ref(self) -> str:
        return f"refs/tags/{self.tag}"

    def push_command(self, remote: str = "origin") -> str:
        return f"git push {remote} {self.ref}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "ref": self.ref,
            "object": self.object_id,
            "signature_format": self.signature_format,
            "role": self.payload.role,
            "model": self.payload.model,
            "version": self.payload.version,
            "model_digest": self.payload.model_digest,
            "manifest_digest": self.payload.manifest_digest,
            "commit": self.payload.commit,
            "comment": self.payload.comment,
            "push": self.push_command(),
            "fetch_refspec": FETCH_REFSPEC,
        }


def create_approval(
    root: Path,
    manifest: Mapping[str, Any],
    manifest_raw: bytes,
    manifest_path: Path,
    role: str,
    *,
    comment: str = "",
    approvals_config: Any = None,
    now: dt.datetime | None = None,
) -> ApprovalCreated:
    """Create and sign the approval tag; return what was recorded.

    ``approvals_config`` (policy data ``approvals``), when given, is used to refuse a role that
    does not exist, so a typo fails here rather than silently at check time.
    """
    role = role.strip()
    if not role:
        raise InputError("--role must name a role from the policy data's approvers list")
    runner, _top = open_repository(root)
    approvers = parse_approvers(approvals_config) if approvals_config is not None else None
    if approvers is not None and role not in approvers.roles:
        known = ", ".join(sorted(approvers.roles)) or "none"
        raise InputError(f"role {role!r} is not defined in policy data (approvals.roles: {known})")
    head_res = runner.run(["rev-parse", "--verify", "HEAD^{commit}"])
    if head_res.status != 0:
        raise InputError("the repository has no commit to approve; commit the release first")
    head = head_res.stdout.decode().strip()

    model = manifest.get("model") if isinstance(manifest, Mapping) else None
    name = str(model.get("name") or "") if isinstance(model, Mapping) else ""
    version = str(model.get("version") or "") if isinstance(model, Mapping) else ""
    if not name or not version:
        raise InputError("the manifest has no model.name and model.version to approve")

    root_r = root.resolve()
    files = artifact_files(root_r, manifest)
    try:
        manifest_rel = manifest_path.resolve().relative_to(root_r).as_posix()
    except ValueError:
        raise InputError(f"{manifest_path}: the manifest must be inside the project {root_r}") from None
    status = runner.check(
        ["status", "--porcelain=v1", "-z", "--no-renames", "--", manifest_rel, *(rel for rel, _ in files)]
    ).decode("utf-8", "replace")
    dirty = []
    for entry in filter(None, status.split("\x00")):
        code, path = entry[:2], entry[3:]
        if code == "??" and path != manifest_rel:
            continue  # an untracked artifact (LFS/DVC-managed model): bound by digest, not by git
        dirty.append(path)
    if dirty:
        raise InputError(
            f"uncommitted changes in {', '.join(sorted(dirty)[:5])}; "
            "the approval would bind content CI never sees",
            hint="commit (and push) the release first, then approve",
        )

    payload = ApprovalPayload(
        role=role,
        model=name,
        version=version,
        model_digest=model_digest(root_r, manifest),
        manifest_digest=manifest_digest(manifest_raw),
        commit=head,
        comment=comment.strip(),
    )
    when = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    tag = tag_name(payload, when)
    res = runner.run(
        ["tag", "-s", "--cleanup=verbatim", "-F", "-", tag, head], stdin=payload.message().encode("utf-8")
    )
    if res.status != 0:
        err = res.last_error_line()
        if "signingkey" in err or "secret key" in err or "no default" in err.lower() or "skipped" in err:
            raise InputError(
                f"git could not sign the approval tag: {err}",
                hint="configure signing: git config user.signingkey KEY; git config gpg.format ssh|openpgp",
            )
        raise SigningError(
            f"git tag -s failed: {err}", hint="check that 'git tag -s' works in this repository"
        )
    oid = runner.text(["rev-parse", "--verify", f"refs/tags/{tag}"])
    raw = runner.check(["cat-file", "tag", oid])
    fmt = split_tag_object(raw)[3]
    if fmt is None:  # pragma: no cover - git tag -s always signs or fails
        runner.run(["tag", "-d", tag])
        raise SigningError("git created the approval tag without a signature; it was deleted again")
    return ApprovalCreated(tag=tag, object_id=oid, payload=payload, signature_format=fmt)
