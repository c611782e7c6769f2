"""A pytest plugin ``./dev`` loads first (``-p``), before pytest-odoo.

pytest-odoo imports Odoo's test framework as pytest starts, before anything
has put Odoo in test mode, and Odoo logs that import as an ERROR: a line in
every test run that says nothing wrong. The framework is imported here
first, in test mode; pytest-odoo then sets the mode per test as usual.
"""

from odoo.tools import config

config["test_enable"] = True
try:
    import odoo.tests  # noqa: F401 - imported once, here
finally:
    config["test_enable"] = False
