"""Tests of the built-in Rego library, its schemas and the examples (a package, so that its
conftest does not shadow the root tests/conftest.py for modules that import from it)."""
