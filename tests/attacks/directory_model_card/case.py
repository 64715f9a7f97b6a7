"""High #7: a directory counts as a present model card. The release points ``model.card`` at a
directory. After the fix evidence files must be regular files: exit 2 naming the path."""

from attack_runner import Attack

SEEN = "main 4f7583f: TRACK passed with the directory as the model card; exit 0 at level 2"
EXIT = 2
MESSAGE = "card.d"


def setup(a: Attack) -> list[str]:
    a.record_release()
    a.bump_version()
    m = a.manifest()
    m["model"]["card"] = "card.d"
    a.set_manifest(m)
    a.commit("release 1.5.0", {"card.d/.keep": ""})
    a.approve("alice", "security-lead")
    a.approve("bob", "ml-lead")
    return a.check_args(*a.history_args())
