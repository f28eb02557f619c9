"""The CLI's console commands run against the same desk as the console's own tests."""

from tests.web.conftest import desk

__all__ = ["desk"]
