"""Decoder for Home Assistant's compressed ``subscribe_entities`` stream.

Pure Python (no ``odoo`` import).  Events carry one of three keys
(HA's *subscribe_entities* command):

* ``"a"``: ``{entity_id: compressed state}``, a full state (``s`` state, ``a``
  attributes, ``c`` context as an id string or a dict, ``lc`` last_changed
  epoch seconds, ``lu`` last_updated, left out when equal to ``lc``);
* ``"r"``: ``[entity_id, ...]`` removed entities;
* ``"c"``: ``{entity_id: {"+": {...}, "-": {"a": [names]}}}`` diffs, where
  ``+.lc`` moves both last_changed and last_updated, a ``+.c`` string replaces
  only the context id, a ``+.c`` dict merges, ``+.a`` merges attributes and
  ``-.a`` lists removed attributes.

:class:`EntityStateMirror` keeps the per-entity state to apply the diffs and
hands full state dicts (the ``get_states`` shape, without ``last_reported``) to
a handler.
"""

import logging
from datetime import datetime, timezone

_logger = logging.getLogger(__name__)

__all__ = ["EntityStateMirror", "expand_compressed_state"]


def _iso(timestamp):
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat()


def _context(value):
    if isinstance(value, dict):
        return {"id": None, "parent_id": None, "user_id": None, **value}
    return {"id": value, "parent_id": None, "user_id": None}


def _decode(compressed):
    """Mirror record ``[state, attributes, context, lc, lu]`` of a full state."""
    last_changed = compressed.get("lc")
    return [
        compressed.get("s"),
        compressed.get("a") or {},
        _context(compressed.get("c")),
        last_changed,
        compressed.get("lu", last_changed),
    ]


def _full_state(entity_id, record):
    state, attributes, context, last_changed, last_updated = record
    return {
        "entity_id": entity_id,
        "state": state,
        "attributes": dict(attributes),
        "last_changed": _iso(last_changed),
        "last_updated": _iso(last_updated),
        "context": dict(context),
    }


def expand_compressed_state(entity_id, compressed):
    """Expand one compressed state (an ``"a"`` item) into a full state dict."""
    return _full_state(entity_id, _decode(compressed))


class EntityStateMirror:
    """Apply ``subscribe_entities`` events and report full states.

    ``handler(entity_id, state)`` is called once per changed entity, with
    ``state=None`` for a removal.  The first event after :meth:`expect_snapshot`
    (called on every (re)subscription) is the full snapshot: entities of the
    mirror missing from it are reported as removed.
    """

    __slots__ = ("handler", "records", "_snapshot")

    def __init__(self, handler):
        self.handler = handler
        self.records = {}
        self._snapshot = True

    def expect_snapshot(self):
        self._snapshot = True

    def get(self, entity_id):
        """The current full state of ``entity_id``, or ``None``."""
        record = self.records.get(entity_id)
        return None if record is None else _full_state(entity_id, record)

    def feed(self, event):
        if not isinstance(event, dict):
            _logger.warning("ignored a %s entities event", type(event).__name__)
            return
        handler = self.handler
        records = self.records
        added = event.get("a")
        if self._snapshot and added is not None:
            self._snapshot = False
            gone = set(records).difference(added)
            records.clear()
            self._add(added)
            for entity_id in gone:
                handler(entity_id, None)
        elif added:
            self._add(added)
        changed = event.get("c")
        if changed:
            for entity_id, diff in changed.items():
                record = records.get(entity_id)
                if record is None or not isinstance(diff, dict):
                    _logger.debug("diff for unknown entity %s ignored", entity_id)
                    continue
                self._apply(record, diff)
                handler(entity_id, _full_state(entity_id, record))
        removed = event.get("r")
        if removed:
            for entity_id in removed:
                if records.pop(entity_id, None) is not None:
                    handler(entity_id, None)

    def _add(self, added):
        records = self.records
        handler = self.handler
        for entity_id, compressed in added.items():
            if not isinstance(compressed, dict):
                continue
            record = records[entity_id] = _decode(compressed)
            handler(entity_id, _full_state(entity_id, record))

    @staticmethod
    def _apply(record, diff):
        plus = diff.get("+")
        if plus:
            if "s" in plus:
                record[0] = plus["s"]
            if "lc" in plus:
                record[3] = record[4] = plus["lc"]
            elif "lu" in plus:
                record[4] = plus["lu"]
            if "c" in plus:
                context = plus["c"]
                if isinstance(context, dict):
                    record[2] = {**record[2], **context}
                else:
                    record[2] = {**record[2], "id": context}
            if plus.get("a"):
                record[1] = {**record[1], **plus["a"]}
        minus = diff.get("-")
        if minus and minus.get("a"):
            attributes = dict(record[1])
            for name in minus["a"]:
                attributes.pop(name, None)
            record[1] = attributes
