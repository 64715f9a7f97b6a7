"""The 20 realistic secrets shared by the collector and CLI redaction tests (Done-when 2).

Shapes of real credentials with random-looking bodies; none is a real credential.
"""

from __future__ import annotations

# 20 realistic secrets (shapes of real credentials, random-looking, not real)
SECRETS: dict[str, str] = {
    "GITHUB_TOKEN": "ghp_" + "x7Kq2LmN9pR4sT6vW8yZ0aB1cD3eF5gH7iJ9",
    "GH_PAT": "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV",
    "GITLAB_TOKEN": "glpat-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm",
    "AWS_ACCESS_KEY_ID": "AKIAQ3EGRT7UEXAMPLE1",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
    "SLACK_BOT_TOKEN": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "OPENAI_API_KEY": "sk-proj-" + "Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90",
    "ANTHROPIC_API_KEY": "sk-ant-api03-" + "q" * 40,
    "HF_TOKEN": "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh",
    "PYPI_TOKEN": "pypi-AgEIcHlwaS5vcmcCJGI2ZmQ5YTM0LWZlMzEtNDYyYy1iNDg1LTI4MjY3NTU1ZmMyNwACKlsz",
    "NPM_TOKEN": "npm_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "GOOGLE_API_KEY": "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    "STRIPE_SECRET": "sk_live_" + "51Habcdefghijklmnopqrstu",
    "ID_TOKEN": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvbW9kZWwifQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmU",
    "DEPLOY_KEY": (
        "-----BEGIN OPENSSH PRIVATE KEY-----\n"
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n"
        "-----END OPENSSH PRIVATE KEY-----"
    ),
    "DATABASE_URL": "postgres://app:Pg-s3cr3t-pass@db.internal:5432/prod",
    "PIP_INDEX_URL": "https://__token__:idx-Secret-Value-42@pypi.internal/simple",
    "CI_JOB_IMAGE": "registry.internal/img:1@sha256:" + "0" * 64,  # harmless: must survive
    "MLFLOW_TRACKING_PASSWORD": "mlflow-Pa55word!",
    "WANDB_API_KEY": "0123456789abcdef0123456789abcdef01234567",
    "GITHUB_WORKFLOW": "deploy with sk-" + "Q" * 32,  # allowlisted name, secret-shaped value
}
SECRET_VALUES = [v for k, v in SECRETS.items() if k != "CI_JOB_IMAGE"]
FRAGMENTS = {  # the secret part of values where a non-secret prefix may legitimately survive
    "DATABASE_URL": "Pg-s3cr3t-pass",
    "PIP_INDEX_URL": "idx-Secret-Value-42",
    "GITHUB_WORKFLOW": "sk-" + "Q" * 32,
    "DEPLOY_KEY": "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU=",
}
