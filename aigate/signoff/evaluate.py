"""Deciding which approvals count: range, digest binding, keys per role, separation of duties,
quorum of distinct people, and the policy-change rule.

An approval counts only when all of these hold (checked in this order; the first that fails is
the reason reported for it):

1. it is a well-formed record (signed annotated tag with an aigate payload pointing at the
   commit it names) for a role defined in policy data;
2. it approves *this* release: same model name and version, same model digest and manifest
   digest as computed now (see :mod:`aigate.signoff.digests`);
3. the approved commit is the release commit or an ancestor of it, present in the clone, and no
   model artifact, the manifest or policy data changed between it and the release commit;
4. its signature verifies through git against the approvers' keys (expiry and revocation
   included), and the signing key is listed for the role the record claims;
5. with separation of duties on, the signer authored no commit of the release range;
6. the signer is not already counted for that role (quorum counts distinct people).

**The release cannot approve itself.** When the release range changes policy data (which holds
the approvers list), an approval from ``policy_change_role`` is required in addition, and it is
checked against the approvers list *as it was at the range base* (the previous release), so a
release that adds its author's key to the list gains nothing from it.

**Fail closed.** No approvers configured, no required roles, an incomplete range (a shallow
clone whose base is not fetched) or a policy change with no role named for it all leave
``satisfied`` false with a problem that says why.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigate.errors import InputError
from aigate.signoff.approvers import Approvers, Member, parse_approvers, pgp_key_fingerprints
from aigate.signoff.digests import normalize_digest
from aigate.signoff.gitcmd import GitRunner, open_repository
from aigate.signoff.gitsource import GitTagSource
from aigate.signoff.source import ApprovalSource, FoundApproval, SignatureCheck

POLICY_CHANGE = "policy-change"


@dataclass(frozen=True)
class ReleaseSubject:
    """What is being released: the values every approval must bind."""

    model: str
    version: str
    model_digest: str  # sha256:<hex>
    manifest_digest: str  # sha256:<hex>
    watched_paths: tuple[str, ...] = ()  # model artifacts + manifest, relative to the project root
    policy_paths: tuple[str, ...] = ()  # policy data files / policy dirs inside the project


@dataclass(frozen=True)
class RangeOptions:
    base: str = "auto"  # "auto": previous release tag; otherwise any revision
    release_tag_glob: str | None = None  # describe --match; None: any tag outside aigate/
    now: dt.datetime | None = None  # validity time for key windows (default: now)


@dataclass
class ApprovalOutcome:
    found: FoundApproval
    verified: bool = False
    counted: bool = False
    reason: str = ""
    signer: str | None = None  # person (email) when the signature verified and the key is listed
    key: str | None = None
    counts_for: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        p = self.found.payload
        return {
            "id": self.found.id,
            "source": self.found.source,
            "kind": self.found.kind,
            "role": p.role if p else None,
            "signer": self.signer,
            "claimed_by": self.found.claimed_by or None,
            "key": self.key,
            "verified": self.verified,
            "counted": self.counted,
            "counts_for": list(self.counts_for),
            "reason": self.reason,
            "commit": (p.commit if p else self.found.target),
            "model": p.model if p else None,
            "version": p.version if p else None,
            "model_digest": p.model_digest if p else None,
            "manifest_digest": p.manifest_digest if p else None,
            "comment": (p.comment or None) if p else None,
            "time": self.found.time,
            "object": self.found.object_id,
        }


@dataclass
class SignoffResult:
    commit: str
    range_base: str | None
    range_base_ref: str | None
    range_complete: bool
    shallow: bool
    subject: ReleaseSubject
    approvers_configured: bool
    required: list[dict[str, Any]]
    roles: dict[str, dict[str, Any]]
    outcomes: list[ApprovalOutcome]
    policy_change: bool
    policy_change_paths: list[str]
    policy_change_approval: dict[str, Any] | None
    problems: list[str]
    authors: list[str]

    @property
    def satisfied(self) -> bool:
        return not self.problems and all(r["satisfied"] for r in self.roles.values())

    def missing(self) -> list[dict[str, Any]]:
        out = []
        for name, r in self.roles.items():
            if not r["satisfied"]:
                role = r.get("role", name)
                need = r["quorum"] - r["counted"]
                what = "policy-change approval from role" if name == POLICY_CHANGE else "role"
                out.append(
                    {
                        "role": role,
                        "policy_change": name == POLICY_CHANGE,
                        "quorum": r["quorum"],
                        "counted": r["counted"],
                        "message": f"{what} '{role}' has {r['counted']} of {r['quorum']} required "
                        f"signed approval(s); {need} more needed",
                    }
                )
        return out

    def to_input(self) -> dict[str, Any]:
        """``input.signoffs`` (see docs/input.md)."""
        return {
            "configured": self.approvers_configured,
            "required": self.required,
            "approvals": [o.to_dict() for o in self.outcomes],
            "roles": self.roles,
            "missing": self.missing(),
            "policy_change": self.policy_change,
            "policy_change_paths": self.policy_change_paths,
            "policy_change_approval": self.policy_change_approval,
            "satisfied": self.satisfied,
            "problems": self.problems,
            "commit": self.commit,
            "model_digest": self.subject.model_digest,
            "manifest_digest": self.subject.manifest_digest,
            "range": {
                "base": self.range_base,
                "base_ref": self.range_base_ref,
                "head": self.commit,
                "complete": self.range_complete,
                "shallow": self.shallow,
            },
        }

    def to_json_bytes(self) -> bytes:
        """``signoffs.json`` for the bundle: every approval found and why it counted or not."""
        doc = {"schema": "aigate.dev/signoffs/v1", **self.to_input(), "authors": self.authors}
        return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _lines(data: bytes) -> list[str]:
    return [ln for ln in data.decode("utf-8", "replace").splitlines() if ln]


def _resolve_range(runner: GitRunner, opts: RangeOptions) -> tuple[str, str | None, str | None, bool, bool]:
    """(head, base commit, base ref name, complete, shallow)."""
    res = runner.run(["rev-parse", "--is-shallow-repository", "--verify", "HEAD^{commit}"])
    out = _lines(res.stdout)
    if res.status != 0 or len(out) < 2:
        raise InputError(
            f"{runner.cwd}: the repository has no commit at HEAD; commit the release first",
        )
    shallow, head = out[0] == "true", out[1]
    if opts.base != "auto":
        r = runner.run(["rev-parse", "--verify", "--end-of-options", f"{opts.base}^{{commit}}"])
        if r.status != 0:
            raise InputError(
                f"sign-off range base {opts.base!r} is not a commit in this clone",
                hint="fetch it (fetch-depth: 0 and tags) or fix the configured base",
            )
        base = _lines(r.stdout)[0]
        complete = True
        if shallow:  # the shallow boundary may cut the range short of the base
            complete = runner.run(["merge-base", "--is-ancestor", base, head]).status == 0
        return head, base, opts.base, complete, shallow
    parent = runner.run(["rev-parse", "--verify", "-q", "HEAD^1^{commit}"])
    if parent.status != 0:
        # a root commit (complete: everything is in range) or a shallow boundary (incomplete)
        return head, None, None, not shallow, shallow
    args = ["describe", "--tags", "--abbrev=0", "--exclude", "aigate/*"]
    if opts.release_tag_glob:
        args += ["--match", opts.release_tag_glob]
    d = runner.run([*args, "HEAD^1"])
    if d.status != 0:
        return head, None, None, not shallow, shallow
    tag = _lines(d.stdout)[0]
    base = runner.text(["rev-parse", "--verify", f"refs/tags/{tag}^{{commit}}"])
    return head, base, tag, True, shallow


class _PGPFingerprints:
    """Lazily derived fingerprints of each member's armored keys (one gpg call per member)."""

    def __init__(self, gpg: str):
        self.gpg = gpg
        self.cache: dict[int, set[str]] = {}

    def of(self, member: Member) -> set[str]:
        key = id(member)
        if key not in self.cache:
            fprs = set(member.pgp_fingerprints)
            for armored in member.pgp_keys:
                fprs |= pgp_key_fingerprints(self.gpg, armored)
            self.cache[key] = fprs
        return self.cache[key]


def _member_for(
    approvers: Approvers, role: str, check: SignatureCheck, pgp: _PGPFingerprints
) -> Member | None:
    r = approvers.roles.get(role)
    if r is None:
        return None
    for m in r.members:
        if check.person and m.person == check.person.lower():
            return m
        if check.format == "ssh" and any(k.fingerprint == check.fingerprint for k in m.ssh_keys):
            return m
        if check.format == "openpgp" and m.pgp_keys + tuple(m.pgp_fingerprints):
            fprs = pgp.of(m)
            if check.fingerprint in fprs or check.primary_fingerprint in fprs:
                return m
    return None


def _roles_listing(approvers: Approvers, check: SignatureCheck, pgp: _PGPFingerprints) -> list[str]:
    return sorted(name for name in approvers.roles if _member_for(approvers, name, check, pgp))


def _window_problem(member: Member, check: SignatureCheck, now: dt.datetime) -> str | None:
    if check.format != "ssh":
        return None  # OpenPGP expiry and revocation are gpg's own verdict (EXPKEYSIG, REVKEYSIG)
    for key in member.ssh_keys:
        if key.fingerprint != check.fingerprint:
            continue
        after, before = key.valid_window()
        if before is not None and now >= before:
            return f"SSH key {key.fingerprint} expired on {before.isoformat()} (valid-before)"
        if after is not None and now < after:
            return f"SSH key {key.fingerprint} is not valid before {after.isoformat()} (valid-after)"
    return None


def _merged_for_verification(current: Approvers, base: Approvers | None) -> Approvers:
    if base is None:
        return current
    roles = dict(current.roles)
    roles.update({f"base:{k}": v for k, v in base.roles.items()})
    people = dict(base.people)
    people.update(current.people)
    return Approvers(
        roles=roles,
        required_roles=current.required_roles,
        separation_of_duties=current.separation_of_duties,
        policy_change_role=current.policy_change_role,
        revoked_ssh_keys=current.revoked_ssh_keys + base.revoked_ssh_keys,
        people=people,
    )


def check_signoffs(
    root: Path,
    subject: ReleaseSubject,
    approvals_config: Any,
    *,
    range_options: RangeOptions | None = None,
    base_approvals_loader: Callable[[GitRunner, str], Any] | None = None,
    extra_sources: Sequence[ApprovalSource] = (),
) -> SignoffResult:
    """Find, verify and count the approvals for ``subject`` in the git repository at ``root``.

    ``approvals_config`` is ``policy_data["approvals"]`` (may be None). ``base_approvals_loader``
    returns the ``approvals`` section of policy data as it was at a given commit (used only when
    the range changes policy data). Raises InputError (not a repository, bad approvers list) or
    GateFailure (no git); everything about individual approvals is data in the result.
    """
    opts = range_options or RangeOptions()
    now = opts.now or dt.datetime.now(dt.timezone.utc)
    runner, _top = open_repository(root)
    approvers = parse_approvers(approvals_config)
    head, base, base_ref, complete, shallow = _resolve_range(runner, opts)
    rev_range = f"{base}..{head}" if base else head
    subject = ReleaseSubject(
        subject.model,
        subject.version,
        normalize_digest(subject.model_digest),
        normalize_digest(subject.manifest_digest),
        subject.watched_paths,
        subject.policy_paths,
    )
    problems: list[str] = []
    if not complete:
        problems.append(
            "the release range is incomplete: this is a shallow clone and the previous release is not "
            "in it; fetch the full history and tags (fetch-depth: 0)"
        )

    source = GitTagSource(runner, trailer_range=rev_range)
    authors, _trailers = source.scan_range()

    policy_changed_paths: list[str] = []
    if base and subject.policy_paths:
        policy_changed_paths = _lines(
            runner.check(["diff", "--name-only", "--no-renames", base, head, "--", *subject.policy_paths])
        )
    policy_change = bool(policy_changed_paths)

    base_approvers: Approvers | None = None
    if policy_change and base and base_approvals_loader is not None:
        base_approvers = parse_approvers(base_approvals_loader(runner, base))

    sources: list[ApprovalSource] = [source, *extra_sources]
    found: list[tuple[ApprovalSource, FoundApproval]] = [(s, f) for s in sources for f in s.find()]
    found.sort(key=lambda sf: (sf[1].time or 0, sf[1].id))
    outcomes = [ApprovalOutcome(f) for _, f in found]

    if approvers is None:
        problems.append("policy data names no approvers (approvals.roles); no approval can count")
    elif not approvers.required_roles:
        problems.append("policy data requires no approval role (approvals.required_roles is empty)")

    # 1-2: well-formed, for this release, bound to the current digests
    candidates: list[ApprovalOutcome] = []
    for o in outcomes:
        f, p = o.found, o.found.payload
        if f.problem or p is None:
            o.reason = f.problem or "not an approval record"
        elif approvers is None:
            o.reason = "no approvers are configured in policy data"
        elif p.role not in approvers.roles:
            o.reason = f"role {p.role!r} is not defined in policy data (approvals.roles)"
        elif (p.model, p.version) != (subject.model, subject.version):
            o.reason = f"approves {p.model} {p.version}, not this release ({subject.model} {subject.version})"
        elif normalize_digest(p.model_digest) != subject.model_digest:
            o.reason = (
                f"bound to model digest {p.model_digest}, but the model now has {subject.model_digest}: "
                "the model changed after approval"
            )
        elif normalize_digest(p.manifest_digest) != subject.manifest_digest:
            o.reason = (
                f"bound to manifest digest {p.manifest_digest}, but the manifest now has "
                f"{subject.manifest_digest}: the manifest changed after approval"
            )
        else:
            candidates.append(o)

    # 3: ancestry and no change since the approved commit (one pair of git calls per distinct commit)
    watched = [*subject.watched_paths, *subject.policy_paths]
    commit_problem: dict[str, str | None] = {}
    for o in candidates:
        c = o.found.payload.commit if o.found.payload else ""
        if c in commit_problem:
            continue
        if c == head:
            commit_problem[c] = None
            continue
        r = runner.run(["merge-base", "--is-ancestor", c, head])
        if r.status == 1:
            commit_problem[c] = (
                f"approved commit {c[:12]} is not the release commit {head[:12]} or an ancestor of it"
            )
            continue
        if r.status != 0:
            commit_problem[c] = f"approved commit {c[:12]} is not in this clone" + (
                " (shallow clone: fetch with fetch-depth: 0)" if shallow else ""
            )
            continue
        changed = (
            _lines(runner.check(["diff", "--name-only", "--no-renames", c, head, "--", *watched]))
            if watched
            else []
        )
        commit_problem[c] = (
            f"approved commit {c[:12]} is an ancestor, but {', '.join(changed[:5])} changed since"
            if changed
            else None
        )
    still: list[ApprovalOutcome] = []
    for o in candidates:
        problem = commit_problem[o.found.payload.commit if o.found.payload else ""]
        if problem:
            o.reason = problem
        else:
            still.append(o)

    # 4: signatures, through git, batched per source
    assert approvers is not None or not still
    checks: dict[str, SignatureCheck] = {}
    if still and approvers is not None:
        verifying = _merged_for_verification(approvers, base_approvers)
        for s in sources:
            mine = [o.found for o in still if any(f is o.found for src, f in found if src is s)]
            if mine:
                checks.update(s.verify(mine, verifying))
    gpg = shutil.which("gpg") or shutil.which("gpg2") or "gpg"
    pgp = _PGPFingerprints(gpg)
    counted: dict[str, list[str]] = {}
    pc_counted: list[str] = []
    pc_role = approvers.policy_change_role if approvers else None
    pc_list = base_approvers if base_approvers is not None else approvers
    for o in still:
        assert approvers is not None and o.found.payload is not None
        role = o.found.payload.role
        check = checks.get(o.found.id) or SignatureCheck(False, "signature was not checked")
        o.key = check.fingerprint or check.primary_fingerprint
        if not check.verified:
            o.reason = check.reason
            continue
        o.verified = True
        member = _member_for(approvers, role, check, pgp)
        if member is None:
            listed = _roles_listing(approvers, check, pgp)
            who = f"key {o.key}" if o.key else f"identity {check.person}"
            o.reason = (
                f"{who} is listed for role(s) {', '.join(listed)}, not for {role!r}"
                if listed
                else f"{who} is not listed for any role in the approvers list"
            )
            continue
        window = _window_problem(member, check, now)
        if window:
            o.reason = window
            continue
        o.signer = member.person
        if approvers.separation_of_duties and member.person in authors:
            o.reason = (
                f"self-approval: {member.person} authored commits in the release range "
                "(separation of duties is on)"
            )
            continue
        if member.person in counted.setdefault(role, []):
            o.reason = (
                f"{member.person} is already counted for role {role!r}: a quorum counts distinct people"
            )
            continue
        counted[role].append(member.person)
        o.counted = True
        o.counts_for.append(role)
        o.reason = f"counts for role {role!r}: {check.reason}, bound to this model, manifest and commit"
        if policy_change and pc_role == role and pc_list is not None:
            pc_member = _member_for(pc_list, role, check, pgp)
            if pc_member is not None and pc_member.person not in pc_counted:
                pc_counted.append(pc_member.person)
                o.counts_for.append(POLICY_CHANGE)
                o.reason += "; also approves the policy-data change"

    roles: dict[str, dict[str, Any]] = {}
    required: list[dict[str, Any]] = []
    if approvers is not None:
        for name in approvers.required_roles:
            q = approvers.roles[name].quorum
            n = len(counted.get(name, []))
            required.append({"role": name, "quorum": q})
            roles[name] = {
                "role": name,
                "quorum": q,
                "counted": n,
                "approvers": counted.get(name, []),
                "satisfied": n >= q,
            }
    pc_detail: dict[str, Any] | None = None
    if policy_change:
        if pc_role is None:
            problems.append(
                "the release range changes policy data ("
                + ", ".join(policy_changed_paths[:5])
                + ") but policy data names no policy_change_role to approve that"
            )
        else:
            q = pc_list.roles[pc_role].quorum if pc_list and pc_role in pc_list.roles else 1
            roles[POLICY_CHANGE] = {
                "role": pc_role,
                "quorum": q,
                "counted": len(pc_counted),
                "approvers": pc_counted,
                "satisfied": len(pc_counted) >= q,
            }
            required.append({"role": pc_role, "quorum": q, "policy_change": True})
        pc_detail = {
            "role": pc_role,
            "paths": policy_changed_paths,
            "approvers_list": "base" if base_approvers is not None else "current",
            "counted": pc_counted,
        }
    return SignoffResult(
        commit=head,
        range_base=base,
        range_base_ref=base_ref,
        range_complete=complete,
        shallow=shallow,
        subject=subject,
        approvers_configured=approvers is not None,
        required=required,
        roles=roles,
        outcomes=outcomes,
        policy_change=policy_change,
        policy_change_paths=policy_changed_paths,
        policy_change_approval=pc_detail,
        problems=problems,
        authors=authors,
    )
