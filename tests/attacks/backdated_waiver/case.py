"""High #3: backdating revives an expired waiver. The organisation's ROLLBACK waiver expired two
days ago; the author commits the release with ``GIT_COMMITTER_DATE`` (and ``SOURCE_DATE_EPOCH``)
ten days back, and waiver expiry was judged at that time. After the fix expiry is judged at the
time of the run (the wall clock); the decision records ``judged_at``."""

import datetime as dt

from attack_runner import Attack

SEEN = "exit 0 on main 4f7583f: the expired ROLLBACK waiver was active again (judged at the commit date)"
EXIT = 1
MESSAGE = "expired on"


def setup(a: Attack) -> list[str]:
    a.record_release()
    data = a.policy()
    data["waivers"][0]["expires"] = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    org = a.org_data(data)
    a.bump_version()
    then = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=10)
    stamp = then.strftime("%Y-%m-%dT%H:%M:%S+0000")
    a.commit("release", env={"GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_DATE": stamp})
    a.approve("alice", "security-lead")
    a.approve("bob", "ml-lead")
    return [
        *a.check_args(*a.history_args(), data=None),
        "--data", org,
    ]  # fmt: skip
