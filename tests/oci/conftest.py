"""The real-registry fixtures (tests/registry_support.py) for the evidence-store tests."""

from registry_support import plain_registry, tls_registry  # noqa: F401
