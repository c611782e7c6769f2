# Odoo's runner only collects modules imported here. The browser and HTTP tests
# (test_http_*) run under odoo-bin; everything else runs under pytest-odoo
# (see ./dev test), which collects test files by itself.
from . import test_http_browser, test_install
from . import test_http_api, test_http_fuzz, test_http_settings
