"""Fingerprints of HA registry lists, so an unchanged list is not applied again.

A reconnect mostly finds every registry unchanged, and comparing 10k entries
in the ORM costs far more than fingerprinting them here.
"""

import hashlib
import json

from ..common.ha_registry_kinds import REGISTRY_KINDS

# Registry lists of a full sync snapshot, by their snapshot key.
SNAPSHOT_REGISTRIES = tuple(registry.snapshot_key for registry in REGISTRY_KINDS)
_ENTRY_KEYS = ("id", "area_id", "label_id", "floor_id", "entity_id")


def _entry_key(entry):
    for key in _ENTRY_KEYS:
        if entry.get(key):
            return entry[key]
    return None


def digest(value):
    """A fingerprint of a registry list (None for None).

    HA stamps every registry entry with ``modified_at`` on each change, so the
    entries' ids and stamps identify the list (milliseconds for 10k entries);
    a list without them is fingerprinted from its JSON text.
    """
    if value is None:
        return None
    try:
        stamps = [(_entry_key(entry), float(entry["modified_at"])) for entry in value]
    except (KeyError, TypeError, ValueError, AttributeError):
        stamps = None
    if stamps is not None and all(key for key, _stamp in stamps):
        return ("stamps", len(stamps), hash(tuple(stamps)))
    text = json.dumps(value, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def snapshot_digests(snapshot):
    """``{snapshot key: digest}`` of every registry list of a full sync."""
    return {key: digest(snapshot.get(key)) for key in SNAPSHOT_REGISTRIES}
