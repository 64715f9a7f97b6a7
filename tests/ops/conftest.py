"""The real-registry fixture (tests/registry_support.py) for the oci:// store test of MON regression."""

from registry_support import plain_registry  # noqa: F401
