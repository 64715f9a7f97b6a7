"""High #4: DRIFT trusted the report's own ``drifted`` flag: PSI 0.93 against the 0.2 threshold
with ``drifted: false`` passed. After the fix (helper H7, the drift control) the verdict is
recomputed from the score, the method and the threshold; a report whose own flag disagrees is a
deny naming both."""

import json

from attack_runner import Attack

SEEN = "exit 0 on main 4f7583f at required level B 3: DRIFT passed with amount PSI 0.93"
EXIT = 1
MESSAGE = "0.93"


def setup(a: Attack) -> list[str]:
    a.record_release()
    a.bump_version()
    report = json.loads((a.root / "reports/drift.json").read_text())
    report["version"] = "1.5.0"
    report["features"]["amount"] = {"score": 0.93, "drifted": False}
    data = a.policy()
    data["required_levels"]["B"] = 3
    a.commit("release 1.5.0", {"reports/drift.json": json.dumps(report, indent=2)})
    a.approve("alice", "security-lead")
    a.approve("bob", "ml-lead")
    return [*a.check_args(*a.history_args(), data=None), "--data", a.org_data(data)]
