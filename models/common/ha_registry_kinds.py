"""Home Assistant's registries, named once (no ``odoo`` import).

Each registry the addon mirrors has four names: its kind in a
``<kind>_registry_updated`` event, that event type, the WebSocket command that
lists it, the keyword of ``ha.sync._ha_sync_registries`` that applies such a
list, and its key in a full sync snapshot. Everything that maps one to another
reads this table.
"""

from collections import namedtuple

RegistryKind = namedtuple(
    "RegistryKind", ["kind", "event_type", "command", "sync_key", "snapshot_key"]
)

REGISTRY_KINDS = (
    RegistryKind(
        "floor",
        "floor_registry_updated",
        "config/floor_registry/list",
        "floors",
        "floors",
    ),
    RegistryKind(
        "area", "area_registry_updated", "config/area_registry/list", "areas", "areas"
    ),
    RegistryKind(
        "label",
        "label_registry_updated",
        "config/label_registry/list",
        "labels",
        "labels",
    ),
    RegistryKind(
        "device",
        "device_registry_updated",
        "config/device_registry/list",
        "devices",
        "devices",
    ),
    RegistryKind(
        "entity",
        "entity_registry_updated",
        "config/entity_registry/list",
        "entity_registry",
        "entities",
    ),
)

BY_KIND = {registry.kind: registry for registry in REGISTRY_KINDS}
BY_EVENT_TYPE = {registry.event_type: registry for registry in REGISTRY_KINDS}
BY_SYNC_KEY = {registry.sync_key: registry for registry in REGISTRY_KINDS}

# The full picture of one instance, as fetched on every (re)connect:
# snapshot key -> WebSocket command.
SNAPSHOT_COMMANDS = {
    "config": "get_config",
    **{registry.snapshot_key: registry.command for registry in REGISTRY_KINDS},
    "states": "get_states",
}
