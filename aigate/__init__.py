"""aigate: a policy-as-code deployment gate for AI/ML models."""

__version__ = "0.1.0"
