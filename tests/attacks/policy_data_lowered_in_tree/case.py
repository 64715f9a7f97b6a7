"""High #1: the release edits the policy data file it ships (``--data policy-data.yaml``) to
``required_levels.A: 1``: APPROVAL, and with it ``policy-change-unapproved``, becomes advisory.

After the fix the bar is the policy data as of the range base (the previous release's recorded
commit), and a change to it in the range blocks until approved under the old data, whatever the
required levels say."""

from attack_runner import Attack

SEEN = "exit 0 on main 4f7583f: PASS with zero approvals (APPROVAL advisory at the lowered level)"
EXIT = 1
MESSAGE = "policy-change-unapproved"


def setup(a: Attack) -> list[str]:
    a.record_release()
    a.bump_version()
    data = a.policy()
    data["required_levels"]["A"] = 1
    a.set_policy(data)
    a.commit("tune policy")
    return a.check_args(*a.history_args())
