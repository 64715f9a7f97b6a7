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

import dataclasses
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
    deployed_paths: tuple[
        str, ...
    ] = ()  # files the manifest declares as deployed (digests.DEPLOYED_POINTERS)


@dataclass(frozen=True)
class RangeOptions:
    base: str = "root"  # "root": the whole history; otherwise the previous verified release's commit
    basis: str = "none"  # evidence (a verified previous release) | declared (--since alone) | none
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
    range_basis: str = "none"  # evidence | declared | none (docs/signoffs.md)

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
                "basis": self.range_basis,
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
    if opts.base in ("root", "auto"):
        # no verified previous release: the whole history, from the first commit (docs/signoffs.md);
        # a tag never anchors the range (anyone with push access writes tags)
        return head, None, None, not shallow, shallow
    r = runner.run(["rev-parse", "--verify", "--end-of-options", f"{opts.base}^{{commit}}"])
    if r.status != 0:
        raise InputError(
            f"sign-off range base {opts.base!r} is not a commit in this clone",
            hint="fetch the full history (fetch-depth: 0)",
        )
    base = _lines(r.stdout)[0]
    complete = True
    if shallow:  # the shallow boundary may cut the range short of the base
        complete = runner.run(["merge-base", "--is-ancestor", base, head]).status == 0
    return head, base, opts.base, complete, shallow


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


@dataclass
class _Range:
    """Step 1's answer: the commits the release spans and what is wrong with that span."""

    head: str
    base: str | None
    base_ref: str | None
    complete: bool
    shallow: bool
    basis: str
    problems: list[str]

    @property
    def rev_range(self) -> str:
        return f"{self.base}..{self.head}" if self.base else self.head


@dataclass
class _PolicyChange:
    """Step 2's answer: which policy paths the range changes, and the approvers list at its base."""

    paths: list[str]
    base_approvers: Approvers | None

    @property
    def changed(self) -> bool:
        return bool(self.paths)


def _range_step(runner: GitRunner, opts: RangeOptions) -> _Range:
    """Step 1, range: the release commit and the base the gate chose (never a tag)."""
    head, base, base_ref, complete, shallow = _resolve_range(runner, opts)
    problems = []
    if not complete:
        problems.append(
            "the release range is incomplete: this is a shallow clone and the previous release is not "
            "in it; fetch the full history and tags (fetch-depth: 0)"
        )
    return _Range(head, base, base_ref, complete, shallow, opts.basis, problems)


def _policy_change_step(
    runner: GitRunner,
    rng: _Range,
    subject: ReleaseSubject,
    loader: Callable[[GitRunner, str], Any] | None,
) -> _PolicyChange:
    """Step 2, policy change: policy data or policies changed in the range (working tree included).

    Without a base (no verified previous release) there is no old bar to approve a change under:
    the bar is the release tree's, which the gate reports as a warning (policydata.source_findings)."""
    if not subject.policy_paths or not rng.base:
        return _PolicyChange([], None)
    paths = _lines(
        runner.check(["diff", "--name-only", "--no-renames", rng.base, "--", *subject.policy_paths])
    )
    base_approvers = None
    if paths and rng.base and loader is not None:
        base_approvers = parse_approvers(loader(runner, rng.base))
    return _PolicyChange(sorted(set(paths)), base_approvers)


def _config_problems(approvers: Approvers | None) -> list[str]:
    if approvers is None:
        return ["policy data names no approvers (approvals.roles); no approval can count"]
    if not approvers.required_roles:
        return ["policy data requires no approval role (approvals.required_roles is empty)"]
    return []


def _binding_problem(p: Any, approvers: Approvers | None, subject: ReleaseSubject) -> str | None:
    """Why a well-formed record does not approve *this* release (None: it does)."""
    if approvers is None:
        return "no approvers are configured in policy data"
    if p.role not in approvers.roles:
        return f"role {p.role!r} is not defined in policy data (approvals.roles)"
    if (p.model, p.version) != (subject.model, subject.version):
        return f"approves {p.model} {p.version}, not this release ({subject.model} {subject.version})"
    if normalize_digest(p.model_digest) != subject.model_digest:
        return (
            f"bound to model digest {p.model_digest}, but the model now has {subject.model_digest}: "
            "the model changed after approval"
        )
    if normalize_digest(p.manifest_digest) != subject.manifest_digest:
        return (
            f"bound to manifest digest {p.manifest_digest}, but the manifest now has "
            f"{subject.manifest_digest}: the manifest changed after approval"
        )
    return None


def _candidates_step(
    outcomes: list[ApprovalOutcome], approvers: Approvers | None, subject: ReleaseSubject
) -> list[ApprovalOutcome]:
    """Step 3, candidates: well-formed records for a defined role, bound to this release's digests."""
    out = []
    for o in outcomes:
        f, p = o.found, o.found.payload
        problem = (f.problem or "not an approval record") if (f.problem or p is None) else None
        problem = problem or _binding_problem(p, approvers, subject)
        if problem:
            o.reason = problem
        else:
            out.append(o)
    return out


def _commit_problem(runner: GitRunner, rng: _Range, subject: ReleaseSubject, commit: str) -> str | None:
    """Why the approved commit does not cover the release: not an ancestor, or a bound file changed
    since (committed model, manifest and policy; deployed files also in the working tree)."""
    head = rng.head
    if commit != head:
        r = runner.run(["merge-base", "--is-ancestor", commit, head])
        if r.status == 1:
            return f"approved commit {commit[:12]} is not the release commit {head[:12]} or an ancestor of it"
        if r.status != 0:
            return f"approved commit {commit[:12]} is not in this clone" + (
                " (shallow clone: fetch with fetch-depth: 0)" if rng.shallow else ""
            )
    watched = [*subject.watched_paths, *subject.policy_paths]
    changed = []
    if watched and commit != head:
        changed = _lines(runner.check(["diff", "--name-only", "--no-renames", commit, head, "--", *watched]))
    if subject.deployed_paths:
        deployed = list(subject.deployed_paths)
        changed += _lines(runner.check(["diff", "--name-only", "--no-renames", commit, "--", *deployed]))
        untracked = _lines(runner.check(["ls-files", "--others", "--", *deployed]))
        if untracked:
            return f"deployed file(s) {', '.join(untracked[:5])} are not committed: an approval binds committed files"
    changed = sorted(set(changed))
    if changed:
        return f"approved commit {commit[:12]} is an ancestor, but {', '.join(changed[:5])} changed since"
    return None


def _unchanged_since_step(
    runner: GitRunner, rng: _Range, subject: ReleaseSubject, candidates: list[ApprovalOutcome]
) -> list[ApprovalOutcome]:
    """Step 4, release digest: the approved commit covers everything released (one check per commit)."""
    problems: dict[str, str | None] = {}
    still = []
    for o in candidates:
        c = o.found.payload.commit if o.found.payload else ""
        if c not in problems:
            problems[c] = _commit_problem(runner, rng, subject, c)
        if problems[c]:
            o.reason = problems[c] or ""
        else:
            still.append(o)
    return still


def _verification_step(
    sources: list[ApprovalSource],
    found: list[tuple[ApprovalSource, FoundApproval]],
    still: list[ApprovalOutcome],
    approvers: Approvers | None,
    change: _PolicyChange,
) -> dict[str, SignatureCheck]:
    """Step 5, verification: signatures through git (ssh-keygen / gpg judge keys), batched per source."""
    checks: dict[str, SignatureCheck] = {}
    if not still or approvers is None:
        return checks
    verifying = _merged_for_verification(approvers, change.base_approvers)
    for s in sources:
        mine = [o.found for o in still if any(f is o.found for src, f in found if src is s)]
        if mine:
            checks.update(s.verify(mine, verifying))
    return checks


@dataclass
class _Tally:
    """Step 6's answer: distinct people counted per role, and for the policy change."""

    counted: dict[str, list[str]] = field(default_factory=dict)
    policy_change: list[str] = field(default_factory=list)


def _identify(
    o: ApprovalOutcome, approvers: Approvers, check: SignatureCheck, pgp: _PGPFingerprints
) -> Member | None:
    """The listed member behind a verified signature, for the role the record claims."""
    role = o.found.payload.role if o.found.payload else ""
    o.key = check.fingerprint or check.primary_fingerprint
    if not check.verified:
        o.reason = check.reason
        return None
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
    return member


def _separation_problem(approvers: Approvers, member: Member, authors: list[str]) -> str | None:
    """Separation of duties: nobody approves a release range they authored commits in."""
    if approvers.separation_of_duties and member.person in authors:
        return f"self-approval: {member.person} authored commits in the release range (separation of duties is on)"
    return None


def _quorum_step(
    still: list[ApprovalOutcome],
    checks: dict[str, SignatureCheck],
    approvers: Approvers | None,
    authors: list[str],
    change: _PolicyChange,
) -> _Tally:
    """Step 6, quorum: each verified, listed, non-author person counts once per role; the policy
    change counts only people listed for the policy-change role in the list *at the range base*."""
    tally = _Tally()
    if approvers is None:
        return tally
    pgp = _PGPFingerprints(shutil.which("gpg") or shutil.which("gpg2") or "gpg")
    pc_role = approvers.policy_change_role
    pc_list = change.base_approvers if change.base_approvers is not None else approvers
    for o in still:
        role = o.found.payload.role if o.found.payload else ""
        check = checks.get(o.found.id) or SignatureCheck(False, "signature was not checked")
        member = _identify(o, approvers, check, pgp)
        if member is None:
            continue
        o.signer = member.person
        problem = _separation_problem(approvers, member, authors)
        if problem is None and member.person in tally.counted.setdefault(role, []):
            problem = f"{member.person} is already counted for role {role!r}: a quorum counts distinct people"
        if problem:
            o.reason = problem
            continue
        tally.counted[role].append(member.person)
        o.counted = True
        o.counts_for.append(role)
        o.reason = f"counts for role {role!r}: {check.reason}, bound to this model, manifest and commit"
        if change.changed and pc_role == role:
            pc_member = _member_for(pc_list, role, check, pgp)
            if pc_member is not None and pc_member.person not in tally.policy_change:
                tally.policy_change.append(pc_member.person)
                o.counts_for.append(POLICY_CHANGE)
                o.reason += "; also approves the policy-data change"
    return tally


def _requirements(
    approvers: Approvers | None, tally: _Tally, change: _PolicyChange, problems: list[str]
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]], dict[str, Any] | None]:
    """Step 7, policy change and roles: each required role's state, plus the policy-change role's."""
    roles: dict[str, dict[str, Any]] = {}
    required: list[dict[str, Any]] = []
    for name in approvers.required_roles if approvers else []:
        assert approvers is not None
        q, n = approvers.roles[name].quorum, len(tally.counted.get(name, []))
        required.append({"role": name, "quorum": q})
        roles[name] = {
            "role": name,
            "quorum": q,
            "counted": n,
            "approvers": tally.counted.get(name, []),
            "satisfied": n >= q,
        }
    if not change.changed:
        return roles, required, None
    pc_role = approvers.policy_change_role if approvers else None
    pc_list = change.base_approvers if change.base_approvers is not None else approvers
    if pc_role is None:
        problems.append(
            "the release range changes policy data (" + ", ".join(change.paths[:5])
            + ") but policy data names no policy_change_role to approve that"
        )  # fmt: skip
    else:
        q = pc_list.roles[pc_role].quorum if pc_list and pc_role in pc_list.roles else 1
        n = len(tally.policy_change)
        roles[POLICY_CHANGE] = {
            "role": pc_role,
            "quorum": q,
            "counted": n,
            "approvers": tally.policy_change,
            "satisfied": n >= q,
        }
        required.append({"role": pc_role, "quorum": q, "policy_change": True})
    detail = {
        "role": pc_role,
        "paths": change.paths,
        "approvers_list": "base" if change.base_approvers is not None else "current",
        "counted": tally.policy_change,
    }
    return roles, required, detail


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
    runner, _top = open_repository(root)
    approvers = parse_approvers(approvals_config)
    rng = _range_step(runner, range_options or RangeOptions())
    subject = dataclasses.replace(
        subject,
        model_digest=normalize_digest(subject.model_digest),
        manifest_digest=normalize_digest(subject.manifest_digest),
    )
    source = GitTagSource(runner, trailer_range=rng.rev_range)
    authors, _trailers = source.scan_range()
    change = _policy_change_step(runner, rng, subject, base_approvals_loader)
    sources: list[ApprovalSource] = [source, *extra_sources]
    found = sorted(((s, f) for s in sources for f in s.find()), key=lambda sf: (sf[1].time or 0, sf[1].id))
    outcomes = [ApprovalOutcome(f) for _, f in found]
    problems = rng.problems + _config_problems(approvers)
    still = _unchanged_since_step(runner, rng, subject, _candidates_step(outcomes, approvers, subject))
    checks = _verification_step(sources, found, still, approvers, change)
    tally = _quorum_step(still, checks, approvers, authors, change)
    roles, required, pc_detail = _requirements(approvers, tally, change, problems)
    return SignoffResult(
        commit=rng.head,
        range_base=rng.base,
        range_base_ref=rng.base_ref,
        range_complete=rng.complete,
        shallow=rng.shallow,
        subject=subject,
        approvers_configured=approvers is not None,
        required=required,
        roles=roles,
        outcomes=outcomes,
        policy_change=change.changed,
        policy_change_paths=change.paths,
        policy_change_approval=pc_detail,
        problems=problems,
        authors=authors,
        range_basis=rng.basis,
    )
