"""High #5: an approval survives a later change to what is deployed. alice and bob approve the
release; then the author changes the Kubernetes manifest and the serving config the manifest
declares (``access.kubernetes_manifests``, ``serving.runtime_files``). After the fix an approval
binds every declared deployed file; the change invalidates it and the message names the file."""

from attack_runner import Attack

SEEN = "exit 0 on main 4f7583f: both approvals still counted after deploy/k8s.yaml changed"
EXIT = 1
MESSAGE = "deploy/k8s.yaml"


def setup(a: Attack) -> list[str]:
    a.record_release()
    a.bump_version()
    a.commit("release 1.5.0")
    a.approve("alice", "security-lead")
    a.approve("bob", "ml-lead")
    k8s = (a.root / "deploy/k8s.yaml").read_text()
    a.commit("scale", {"deploy/k8s.yaml": k8s + "\n# replicas tuned after approval\n"})
    return a.check_args(*a.history_args())
