"""Odoo's registry kept out of the garbage collector's full collections.

A full collection scans every object the process holds: with an Odoo
registry loaded, 40 to 80 ms during which no other thread of the process
runs, so the mirror's batches wait. Python makes one whenever the objects
that survived since the last one reach a quarter of the others, which
happens soon after a registry is (re)loaded: saving an automation rule
reloads it in every process, for instance.

So the process that leads instances settles its heap once for each
registry its mirror works with: it collects, then freezes what survived
(``gc.freeze``). The collector never scans frozen objects again, and its
full collections cost only what was allocated since. The objects are
unfrozen first, so that a replaced registry (garbage with cycles) is
collected then.
"""

import gc
import logging
import threading
import time
import weakref

_logger = logging.getLogger(__name__)

_lock = threading.Lock()
_settled = weakref.WeakValueDictionary()  # database name -> its settled registry


def settle(registry):
    """Collect and freeze the process's heap, unless ``registry`` (the
    current one of its database) was settled already."""
    if _settled.get(registry.db_name) is registry:
        return
    with _lock:
        if _settled.get(registry.db_name) is registry:
            return
        started = time.monotonic()
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        _settled[registry.db_name] = registry
    _logger.info(
        "HA mirror of %s: heap settled in %.0f ms (%d objects frozen)",
        registry.db_name,
        (time.monotonic() - started) * 1000,
        gc.get_freeze_count(),
    )
