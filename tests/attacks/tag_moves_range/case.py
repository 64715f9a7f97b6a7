"""High #2: a pushed tag moves the release range. bob (the ml-lead approver) commits part of
the release himself, tags that commit ``v1.4.1`` and approves the release: with the range starting at
the nearest tag his commit is outside it and separation of duties is not applied, even with
``--release-tags 'v*'``. After the fix the range starts at the commit recorded in the previous
release's verified decision; tags never anchor it."""

from attack_runner import Attack

SEEN = "exit 0 on main 4f7583f: bob's self-approval counted (his commit hidden behind tag v1.4.1)"
EXIT = 1
MESSAGE = "self-approval"


def setup(a: Attack) -> list[str]:
    a.record_release()
    a.bump_version()
    log = (a.root / "CHANGELOG.md").read_text()
    a.commit("changelog", {"CHANGELOG.md": "## 1.5.0\n- threshold tuned\n\n" + log}, author="bob")
    a.git("tag", "v1.4.1")
    a.commit("release 1.5.0")
    a.approve("bob", "ml-lead")
    a.approve("alice", "security-lead")
    return a.check_args(*a.history_args(), "--release-tags", "v*")
