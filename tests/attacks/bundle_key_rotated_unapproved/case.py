"""The organisation's policy data (in the project) names the OPA bundle key
(``policy_bundles.verification_key: keys/bundle.pub``) and a policy-change role of its own
(``policy-owner``, carol). The release replaces ``keys/bundle.pub`` and is approved by the
release roles only (alice, bob). The key is read at the range base, so this release is still
judged with the old key; but once it is recorded it anchors the next release, whose bundles
would then verify with the new key, and nobody in the policy-change role approved that.

After the fix a key file the policy data names is watched like the policy data: changing it in
the range needs the policy-change role's approval (``policy-change-unapproved``, exit 1)."""

from attack_runner import Attack

SEEN = "exit 0 on main 7cc1f5d: PASS; the rotated bundle key was not a policy change"
EXIT = 1
MESSAGE = "approvers list (keys/bundle.pub); it needs an additional approval from role policy-owner"


def setup(a: Attack) -> list[str]:
    from aigate.sign.key import generate_keypair

    for name in ("org", "new"):
        generate_keypair(a.tmp / f"{name}.pem", a.tmp / f"{name}.pub")
    data = a.policy()
    carol = next(m for m in data["approvals"]["roles"]["security-lead"]["members"] if "carol" in str(m))
    data["approvals"]["roles"]["policy-owner"] = {"quorum": 1, "members": [carol]}
    data["approvals"]["policy_change_role"] = "policy-owner"
    data["policy_bundles"] = {"verification_key": "keys/bundle.pub"}
    a.set_policy(data)
    a.commit("the organisation's bundle key", {"keys/bundle.pub": (a.tmp / "org.pub").read_bytes()})
    a.record_release()
    a.bump_version()
    a.commit("release (rotates the bundle key)", {"keys/bundle.pub": (a.tmp / "new.pub").read_bytes()})
    a.approve("alice", "security-lead")
    a.approve("bob", "ml-lead")
    return a.check_args(*a.history_args())
