"""Base classes of the tests that need no database: the pure HA clients, the
simulator and the contract suite.

Odoo's test loader only runs classes that carry Odoo's test tags, which the
metaclass of ``BaseCase`` sets (``standard``, ``at_install``, the module);
a plain ``unittest.TestCase`` is silently left out by ``odoo-bin
--test-tags``. Outside Odoo (plain ``python tests/test_x.py``) the test
modules fall back to ``unittest`` classes instead of importing these.

``BaseCase`` lets ``requests`` reach 127.0.0.1 and localhost only, which these
tests keep, but it also raises every timeout under 10 s to 10 s: the client
tests measure their own timeouts, so the handler here leaves them as given.
"""

import unittest
from urllib.parse import urlsplit

from odoo.tests import BaseCase
from odoo.tests.common import BlockedRequest, _super_send

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


class PureCase(BaseCase):
    """A test without database, run by odoo-bin and pytest-odoo alike."""

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        if urlsplit(r.url).hostname not in LOOPBACK_HOSTS:
            raise BlockedRequest(f"tests only talk to 127.0.0.1, not {r.url}")
        return _super_send(s, r, **kw)


class PureAsyncCase(unittest.IsolatedAsyncioTestCase, PureCase):
    """``PureCase`` with coroutine tests.

    ``IsolatedAsyncioTestCase`` comes first so that its ``run`` and
    ``_call*`` methods (the event loop) win over Odoo's ``TestCase``.
    """
