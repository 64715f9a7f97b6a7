"""The approval record: what an ``aigate approve`` tag says, and where it lives.

Carrier: a **signed annotated tag** under the reserved namespace ``refs/tags/aigate/approvals/``,
pointing at the approved commit. The tag message is::

    aigate approval: <role> for <model> <version>
    <blank line>
    {"commit": "...", "manifest_digest": "sha256:...", "model": "...", "model_digest": "sha256:...",
     "role": "...", "schema": "aigate.dev/approval/v1", "version": "...", "comment": "..."}

followed by the signature git appends (SSH or OpenPGP armor). The signature covers the whole tag
object: target commit, tag name, tagger line and this message, so no field can be changed
without breaking it. The JSON payload is canonical (sorted keys, compact separators) so the
record is reproducible from its fields.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

NAMESPACE = "refs/tags/aigate/approvals/"
SCHEMA = "aigate.dev/approval/v1"
FETCH_REFSPEC = "+refs/tags/aigate/approvals/*:refs/tags/aigate/approvals/*"
_SEGMENT = re.compile(r"[^A-Za-z0-9_.-]+")
_HEX40 = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


@dataclass(frozen=True)
class ApprovalPayload:
    role: str
    model: str
    version: str
    model_digest: str
    manifest_digest: str
    commit: str
    comment: str = ""

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "schema": SCHEMA,
            "role": self.role,
            "model": self.model,
            "version": self.version,
            "model_digest": self.model_digest,
            "manifest_digest": self.manifest_digest,
            "commit": self.commit,
        }
        if self.comment:
            data["comment"] = self.comment
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)

    def message(self) -> str:
        return f"aigate approval: {self.role} for {self.model} {self.version}\n\n{self.to_json()}\n"


class PayloadError(ValueError):
    """The tag message is not an aigate approval payload (data, reported as a reason)."""


def parse_payload(message: str) -> ApprovalPayload:
    """Parse a tag message (without its signature); PayloadError says what is wrong."""
    for line in message.splitlines():
        text = line.strip()
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise PayloadError(f"payload is not valid JSON ({exc.msg})") from None
            break
    else:
        raise PayloadError("tag message carries no aigate approval payload")
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise PayloadError(f"payload schema is not {SCHEMA}")
    fields = ("role", "model", "version", "model_digest", "manifest_digest", "commit")
    missing = [f for f in fields if not isinstance(data.get(f), str) or not data.get(f)]
    if missing:
        raise PayloadError(f"payload lacks {', '.join(missing)}")
    if not _HEX40.match(data["commit"]):
        raise PayloadError("payload commit is not a full object id")
    comment = data.get("comment", "")
    return ApprovalPayload(
        role=data["role"],
        model=data["model"],
        version=data["version"],
        model_digest=data["model_digest"],
        manifest_digest=data["manifest_digest"],
        commit=data["commit"],
        comment=comment if isinstance(comment, str) else "",
    )


def segment(text: str) -> str:
    """A ref-name-safe path segment (git check-ref-format rules: no '..', no leading '.', no '.lock')."""
    seg = _SEGMENT.sub("-", text).strip("-.") or "x"
    seg = seg.replace("..", "-")
    if seg.endswith(".lock"):
        seg = seg[: -len(".lock")] + "-lock"
    return seg


def tag_name(payload: ApprovalPayload, when: str) -> str:
    """``aigate/approvals/<model>/<version>/<role>/<UTC time>-<random>`` (unique per approval)."""
    return "aigate/approvals/" + "/".join(
        (
            segment(payload.model),
            segment(payload.version),
            segment(payload.role),
            f"{when}-{secrets.token_hex(4)}",
        )
    )
