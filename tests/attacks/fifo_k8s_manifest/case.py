"""High #7: a FIFO counts as a present Kubernetes manifest (and reading it would hang the gate).
The release points ``access.kubernetes_manifests`` at a named pipe in the working tree. After
the fix evidence files must be regular files: exit 2 naming the file."""

import os

from attack_runner import Attack

SEEN = "main 4f7583f: the FIFO counted as present (RBAC found no wildcard in it); exit 0 at level 2"
EXIT = 2
MESSAGE = "deploy/k8s.pipe"


def setup(a: Attack) -> list[str]:
    a.record_release()
    a.bump_version()
    m = a.manifest()
    m["access"]["kubernetes_manifests"] = ["deploy/k8s.pipe"]
    a.set_manifest(m)
    a.commit("release 1.5.0")
    os.mkfifo(a.root / "deploy/k8s.pipe")
    a.approve("alice", "security-lead")
    a.approve("bob", "ml-lead")
    return a.check_args(*a.history_args())
