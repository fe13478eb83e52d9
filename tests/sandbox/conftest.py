"""The browser tests' fixtures (a running sandbox, a Chromium page), for every browser test
module here, not only the one that defines them."""

from tests.sandbox.test_browser import page, sandbox_url

__all__ = ["page", "sandbox_url"]
