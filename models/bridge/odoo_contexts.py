"""The context ids of the services Odoo called: their state changes are echoes.

Home Assistant tags every state change a service call causes with the call's
context id. The leader remembers the ids of the calls it ran (whoever asked
for them), so that the mirror can tell an echo of Odoo's own control from a
change made in Home Assistant: automation rules never fire on an echo. Kept
in memory for ``KEEP`` seconds; the control log holds them for good.
"""

import threading
import time

KEEP = 300.0  # seconds an id is remembered
MAX_IDS = 50000  # a bound, whatever the rate of calls


def result_context_id(result):
    """The context id of a ``call_service`` result (HA's answer), or None."""
    context = result.get("context") if isinstance(result, dict) else None
    context_id = context.get("id") if isinstance(context, dict) else None
    return context_id if isinstance(context_id, str) else None


class OdooContexts:
    """Context ids of this process's recent ``call_service`` results."""

    def __init__(self):
        self._ids = {}  # context id -> monotonic expiry
        self._lock = threading.Lock()

    def remember(self, payload, result):
        """Keep the context id of a ``call_service`` result."""
        if not isinstance(payload, dict) or payload.get("type") != "call_service":
            return
        context_id = result_context_id(result)
        if context_id is None:
            return
        now = time.monotonic()
        with self._lock:
            if len(self._ids) >= MAX_IDS:
                for key in [k for k, end in self._ids.items() if end <= now]:
                    del self._ids[key]
                if len(self._ids) >= MAX_IDS:
                    self._ids.pop(next(iter(self._ids)))
            self._ids[context_id] = now + KEEP

    def known(self, context_ids):
        """The ids among ``context_ids`` that Odoo's calls produced."""
        if not self._ids:
            return set()
        now = time.monotonic()
        with self._lock:
            return {
                cid
                for cid in context_ids
                if cid is not None and self._ids.get(cid, 0.0) > now
            }


odoo_contexts = OdooContexts()
