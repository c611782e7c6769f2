"""Render data/nginx/odoo.conf and prepare nginx's private prefix.

Used by ``./dev run`` and ``tests/e2e/run_e2e.py``::

    python -m tools.nginx PREFIX LISTEN_PORT HTTP_PORTS GEVENT_PORTS

writes ``PREFIX/nginx.conf`` (ports comma-separated) and prints its path; start
it with ``nginx -p PREFIX -c PREFIX/nginx.conf`` (the file says ``daemon off``).
Not a module of the addon.
"""

import os
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1] / "data" / "nginx" / "odoo.conf"
TEMP_DIRS = ("logs", "temp/client_body", "temp/proxy", "temp/fastcgi")
TEMP_DIRS += ("temp/uwsgi", "temp/scgi")


def _servers(ports):
    return "\n".join(f"        server 127.0.0.1:{int(port)};" for port in ports)


def render(prefix, listen_port, http_ports, gevent_ports):
    """Write ``prefix/nginx.conf`` for these ports; return its path."""
    prefix = Path(prefix).resolve()
    for sub in TEMP_DIRS:
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    user = ""
    if os.geteuid() == 0:
        # As root, nginx would switch its workers to "nobody", who cannot
        # reach a prefix under root's home.
        user = "user root;"
    text = TEMPLATE.read_text()
    for key, value in {
        "@PREFIX@": str(prefix),
        "@LISTEN@": f"127.0.0.1:{int(listen_port)}",
        "@HTTP_SERVERS@": _servers(http_ports),
        "@GEVENT_SERVERS@": _servers(gevent_ports),
        "@USER@": user,
    }.items():
        text = text.replace(key, value)
    conf = prefix / "nginx.conf"
    conf.write_text(text)
    return conf


def command(prefix, conf):
    """The foreground nginx command line for a rendered ``conf``."""
    return [
        "nginx",
        "-p",
        str(prefix),
        "-c",
        str(conf),
        "-e",
        f"{prefix}/logs/error.log",
    ]


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    _prefix, _listen, _http, _gevent = sys.argv[1:]
    sys.stdout.write(
        f"{render(_prefix, _listen, _http.split(','), _gevent.split(','))}\n"
    )
