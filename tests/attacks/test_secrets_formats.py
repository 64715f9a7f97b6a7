"""The redaction pass keeps every format it rewrites well-formed, and leaves what auditors need.

Each file kind the bundle and the reports carry (JSON, YAML, XML, Markdown, ``.env``, URLs) is
redacted and then parsed by its own independent parser (json, PyYAML, ElementTree). Seen failing
before the word-aware pass: a value ending in ``}`` swallowed a YAML flow mapping's brace, and
``access_token=`` inside a URL under a harmless key stayed in clear.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

from aigate.redact import REDACTED, redact_bytes, redact_text_counted

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "collect"))
from collect_secrets import FRAGMENTS, SECRETS

PLANTED = {k: v for k, v in SECRETS.items() if k != "CI_JOB_IMAGE"}


def test_json_stays_json_and_loses_every_secret() -> None:
    doc = {
        "creds": {name.lower(): value for name, value in PLANTED.items()},
        "notes": [f"{name.lower()}: {value}" for name, value in PLANTED.items()],
        "kms_key": "arn:aws:kms:eu-west-1:123456789012:key/4b1c",
        "key_features": ["amount", "country"],
        "digest": "sha256:" + "a" * 64,
    }
    for text in (json.dumps(doc, indent=2), json.dumps(doc)):
        out, count = redact_text_counted(text)
        parsed = json.loads(out)
        assert count >= 20
        for name in PLANTED:
            assert FRAGMENTS.get(name, PLANTED[name]) not in out, name
        # references auditors read are not secrets and survive
        assert parsed["kms_key"].startswith("arn:aws:kms") and parsed["key_features"] == ["amount", "country"]
        assert parsed["digest"] == doc["digest"]


def test_yaml_stays_yaml() -> None:
    text = (
        "auth: mtls\n"
        "inline: {token: abc123def, other: 1}\n"
        "url: https://h.example/cb?access_token=tok-123456&x=1\n"
        "db:\n  password: 'hunter2-long'\n  user: app\n"
        "list:\n  - api_key: k-123456\n"
    )
    out, count = redact_text_counted(text)
    data = yaml.safe_load(out)
    assert count == 4, out
    assert data["auth"] == "mtls" and data["inline"]["other"] == 1
    assert "abc123def" not in out and data["inline"]["token"] == [REDACTED.strip("[]")]  # a flow value
    assert data["url"] == f"https://h.example/cb?access_token={REDACTED}&x=1"
    assert data["db"] == {"password": REDACTED, "user": "app"} and data["list"] == [{"api_key": REDACTED}]


def test_xml_stays_xml() -> None:
    secret = PLANTED["GITHUB_TOKEN"]
    xml = f'<testsuite name="t"><testcase name="c"><failure message="token={secret} password: x1y2z3"/></testcase></testsuite>'
    out, _ = redact_text_counted(xml)
    root = ET.fromstring(out)
    message = root.find("./testcase/failure").get("message")  # type: ignore[union-attr]
    assert secret not in out and "x1y2z3" not in out and message is not None and REDACTED in message


def test_binary_bytes_pass_through_and_count_is_zero_without_secrets() -> None:
    blob = bytes(range(256)) * 64
    assert redact_bytes(blob) == (blob, 0)
    leaky = blob + b"\n" + PLANTED["AWS_ACCESS_KEY_ID"].encode() + b"\n" + blob
    out, count = redact_bytes(leaky)
    assert count == 1 and PLANTED["AWS_ACCESS_KEY_ID"].encode() not in out and out.startswith(blob)
