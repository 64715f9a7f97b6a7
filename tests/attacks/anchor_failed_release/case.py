"""Next attack: move the anchor with a failing recorded run. The author adds mallory as a
security lead, lets CI record a run (it fails: no approvals), then asks mallory to approve the
next release: if any recorded decision anchored the range, the policy change would sit before
the base. After the fix the base is the newest verified release whose decision was a pass."""

from attack_runner import Attack

SEEN = "exit 0 on main 4f7583f (with a tag on the failed release): mallory counted, no policy-change approval asked"
EXIT = 1
MESSAGE = "policy-change-unapproved"


def setup(a: Attack) -> list[str]:
    from signoff_helpers import member

    a.record_release()
    a.bump_version("1.5.0")
    data = a.policy()
    data["approvals"]["roles"]["security-lead"]["members"].append(member(a.keys, "mallory"))
    a.set_policy(data)
    a.commit("add mallory")
    a.record_release("1.5.0", approve=False)
    a.git("tag", "v1.5.0")
    a.bump_version("1.5.1")
    a.commit("release 1.5.1")
    a.approve("mallory", "security-lead")
    a.approve("bob", "ml-lead")
    return a.check_args(*a.history_args())
