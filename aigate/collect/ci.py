"""CI metadata (``input.ci``): which CI system runs the gate, and which run.

Read from the variables the CI systems document; ``null`` when not running in CI. Only the
fields named here are read: CI variables often hold tokens, which never enter evidence.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aigate.collect.interface import CollectContext, Collector, Evidence


def detect_ci(env: Mapping[str, str]) -> dict[str, Any] | None:
    if env.get("GITHUB_ACTIONS") == "true":
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        repo = env.get("GITHUB_REPOSITORY", "")
        run = env.get("GITHUB_RUN_ID", "")
        return {
            "provider": "github",
            "run_id": run,
            "run_attempt": env.get("GITHUB_RUN_ATTEMPT"),
            "workflow": env.get("GITHUB_WORKFLOW"),
            "workflow_ref": env.get("GITHUB_WORKFLOW_REF"),
            "job": env.get("GITHUB_JOB"),
            "trigger": env.get("GITHUB_EVENT_NAME"),
            "ref": env.get("GITHUB_REF"),
            "commit": env.get("GITHUB_SHA"),
            "repository": repo,
            "actor": env.get("GITHUB_ACTOR"),
            "url": f"{server}/{repo}/actions/runs/{run}" if repo and run else None,
        }
    if env.get("GITLAB_CI") == "true":
        return {
            "provider": "gitlab",
            "run_id": env.get("CI_PIPELINE_ID"),
            "job_id": env.get("CI_JOB_ID"),
            "workflow": env.get("CI_CONFIG_PATH") or ".gitlab-ci.yml",
            "job": env.get("CI_JOB_NAME"),
            "trigger": env.get("CI_PIPELINE_SOURCE"),
            "ref": env.get("CI_COMMIT_REF_NAME"),
            "commit": env.get("CI_COMMIT_SHA"),
            "repository": env.get("CI_PROJECT_PATH"),
            "actor": env.get("GITLAB_USER_LOGIN"),
            "url": env.get("CI_JOB_URL") or env.get("CI_PIPELINE_URL"),
        }
    if env.get("CI", "").lower() in ("true", "1", "yes"):
        return {
            "provider": "generic",
            "run_id": env.get("BUILD_ID") or env.get("CI_BUILD_ID"),
            "workflow": None,
            "job": None,
            "trigger": None,
            "ref": None,
            "commit": None,
            "repository": None,
            "actor": None,
            "url": env.get("BUILD_URL"),
        }
    return None


class CICollector(Collector):
    key = "ci"

    def collect(self, ctx: CollectContext) -> Evidence:
        return Evidence(self.key, detect_ci(os.environ))
