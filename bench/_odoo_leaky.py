"""odoo-bin whose prefork workers can be made to leak, for the benches.

Usage: ``python bench/_odoo_leaky.py LEAK_DIR odoo-bin-args...`` (cwd: the
Odoo source). Each forked worker looks for ``LEAK_DIR/leak-<its pid>`` every
0.2 s; the file holds a size in bytes, which the worker then maps and never
touches: its virtual memory grows (what Odoo compares with
``--limit-memory-soft``), its resident memory does not. Odoo's own limit
check then recycles the worker, exactly as it would a leaking one.
"""

import mmap
import os
import runpy
import sys
import threading
import time
from pathlib import Path

LOOK_EVERY = 0.2  # seconds
_ballast = []  # the mappings, kept alive until the process ends


def _watch(leak_dir):
    trigger = leak_dir / f"leak-{os.getpid()}"
    while True:
        if trigger.exists():
            size = int(trigger.read_text())
            trigger.unlink()
            _ballast.append(mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE))
        time.sleep(LOOK_EVERY)


def main():
    leak_dir = Path(sys.argv[1])
    os.register_at_fork(
        after_in_child=lambda: threading.Thread(
            target=_watch, args=(leak_dir,), name="bench.leak", daemon=True
        ).start()
    )
    sys.argv = ["odoo-bin", *sys.argv[2:]]
    sys.path[0] = os.getcwd()  # odoo-bin's folder, as when it is run itself
    runpy.run_path("odoo-bin", run_name="__main__")


if __name__ == "__main__":
    main()
