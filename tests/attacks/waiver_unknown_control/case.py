"""A waiver naming a control or rule that does not exist was accepted silently (a typo that
waives nothing, or a waiver that will silently start to apply when a rule of that name appears).
After the fix it is an input error (exit 2) naming the waiver."""

import datetime as dt

from attack_runner import Attack

SEEN = "main 4f7583f: accepted; the run went on (exit 1 only for unrelated denies)"
EXIT = 2
MESSAGE = "APPROVALS"


def setup(a: Attack) -> list[str]:
    data = a.policy()
    data["waivers"].append(
        {
            "control": "APPROVALS",
            "owner": "sre@example.com",
            "reason": "typo",
            "expires": (dt.date.today() + dt.timedelta(days=5)).isoformat(),
        }
    )
    return [*a.check_args(data=None), "--data", a.org_data(data)]
