"""Fixtures of the sign-off tests: real keys (session) and real repositories (per test).

The code lives in ``signoff_helpers.py`` so that test modules can import its helpers by a name
that does not collide with other folders' ``conftest`` modules.
"""

from signoff_helpers import keys, make_project, no_git_path, project

__all__ = ["keys", "make_project", "no_git_path", "project"]
