"""High #6: key validity. The organisation lists alice's key with ``VALID-BEFORE="20250101"``
(ssh-keygen reads options case-insensitively); she signs her approval with a backdated tag
(``GIT_COMMITTER_DATE`` 2024). aigate read ``valid-before`` case-sensitively and git asked
ssh-keygen about the tag's own time, so the expired key counted. After the fix ssh-keygen judges
the key at the time of the run (``-Overify-time``), with its own option parsing."""

from attack_runner import Attack

SEEN = "exit 0 on main 4f7583f: alice's expired key counted for security-lead"
EXIT = 1
MESSAGE = "outside its validity window"


def setup(a: Attack) -> list[str]:
    a.record_release()
    data = a.policy()
    alice = data["approvals"]["roles"]["security-lead"]["members"][0]
    alice["ssh_keys"] = [f'alice@example.com VALID-BEFORE="20250101" {a.keys.ssh["alice"].public}']
    data["approvals"]["roles"]["security-lead"]["members"] = [alice]
    org = a.org_data(data)
    a.bump_version()
    a.commit("release")
    old = "2024-06-01T12:00:00+0000"
    a.approve("alice", "security-lead", env={"GIT_COMMITTER_DATE": old, "GIT_AUTHOR_DATE": old})
    a.approve("bob", "ml-lead")
    return [*a.check_args(*a.history_args(), data=None), "--data", org]
