"""Registries of ``ha.sync``: full lists and ``*_registry_updated`` events.

Floors, labels, areas, devices and the entity registry, mirrored with the
engine of ``ha_sync.py`` (where the bypass of the ORM is explained).
"""

from odoo import api, models
from odoo.tools import SQL

from .common.ha_registry_kinds import BY_KIND
from .ha_entity import display_area
from .ha_sync import _text, diff_rows

LABEL_SPEC = [
    ("name", "varchar"),
    ("icon", "varchar"),
    ("ha_color", "varchar"),
    ("description", "text"),
]
AREA_SPEC = [
    ("name", "varchar"),
    ("floor_id", "varchar"),
    ("floor_name", "varchar"),
    ("icon", "varchar"),
    ("picture", "varchar"),
    ("aliases", "jsonb"),
]
DEVICE_SPEC = [
    ("name", "varchar"),
    ("name_by_user", "varchar"),
    ("manufacturer", "varchar"),
    ("model", "varchar"),
    ("model_id", "varchar"),
    ("sw_version", "varchar"),
    ("hw_version", "varchar"),
    ("serial_number", "varchar"),
    ("configuration_url", "varchar"),
    ("disabled_by", "varchar"),
    ("entry_type", "varchar"),
    ("primary_config_entry", "varchar"),
    ("identifiers", "jsonb"),
    ("connections", "jsonb"),
    ("config_entries", "jsonb"),
    ("area_id", "int4"),
    ("active", "bool"),
]
# An entity's registry links; display_area_id is written with them (see
# _ha_entity_links).
ENTITY_LINK_SPEC = [
    ("area_id", "int4"),
    ("device_id", "int4"),
    ("follows_device_area", "bool"),
    ("display_area_id", "int4"),
]
# A registry-only entity (no state yet) is created with these too.
ENTITY_REGISTRY_INSERT_SPEC = [
    ("domain", "varchar"),
    ("name", "varchar"),
    ("active", "bool"),
    *ENTITY_LINK_SPEC,
]
# Mirror table and key column of a registry entry HA removes (a floor is
# columns of ha_area, not a table).
MIRROR_TABLES = {
    "label": ("ha_label", "label_id"),
    "area": ("ha_area", "area_id"),
    "device": ("ha_device", "device_id"),
    "entity": ("ha_entity", "entity_id"),
}


def _label_pairs(ids, labels, label_ids):
    """``{(record id, label id)}`` from ``{key: [HA label ids]}``; unknown
    records or labels are skipped."""
    return {
        (ids[key], label_ids[label])
        for key, names in labels.items()
        if key in ids
        for label in names
        if label in label_ids
    }


class HaSync(models.AbstractModel):
    _inherit = "ha.sync"

    # -- full lists ------------------------------------------------------------

    @api.model
    def _ha_sync_registries(
        self,
        instance,
        floors=None,
        areas=None,
        labels=None,
        devices=None,
        entity_registry=None,
        complete=True,
        notify=True,
    ):
        """Mirror HA's registries (``config/*_registry/list`` results).

        A list left to None is not synced. With ``complete`` (full lists),
        labels and areas missing from HA are deleted and devices archived; with
        ``complete=False`` (single entries from registry events) nothing is
        removed. Entities following a device whose area moved move with it.
        Returns counts per kind.
        """
        instance_id = self._ha_instance_id(instance)
        self.env.flush_all()
        stats = {}
        floor_names = {
            f["floor_id"]: f.get("name") for f in floors or [] if f.get("floor_id")
        }
        if labels is not None:
            stats["labels"] = self._ha_sync_labels(instance_id, labels, complete)
        label_ids = self._ha_ids("ha_label", instance_id, "label_id")
        if areas is not None:
            if floors is None:
                floor_names = self._ha_known_floor_names(instance_id)
            stats["areas"] = self._ha_sync_areas(
                instance_id, areas, label_ids, floor_names, complete
            )
        area_ids = self._ha_ids("ha_area", instance_id, "area_id")
        if devices is not None:
            stats["devices"], moved = self._ha_sync_devices(
                instance_id, devices, area_ids, label_ids, complete
            )
            self._ha_recompute_display_area(moved)
        if entity_registry is not None:
            device_ids = self._ha_ids("ha_device", instance_id, "device_id")
            stats["entities"] = self._ha_sync_entity_registry(
                instance_id, entity_registry, area_ids, device_ids, label_ids
            )
        self._ha_invalidate()
        if notify:
            notifier = self.env["ha.realtime.update"]
            if areas is not None or labels is not None:
                notifier.notify_area_registry_update(instance_id, "sync")
            if devices is not None or entity_registry is not None:
                notifier.notify_device_registry_update(instance_id, "sync")
        return stats

    @api.model
    def _ha_known_floor_names(self, instance_id):
        """``{floor_id: floor name}`` as the instance's areas hold them."""
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT floor_id, floor_name FROM ha_area"
                " WHERE ha_instance_id = %s AND floor_id IS NOT NULL",
                instance_id,
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _ha_stats_deleting_missing(self, table, upserted, rows, complete):
        """Counts of an upsert of ``rows``; with ``complete``, the instance's rows
        missing from ``rows`` are deleted too."""
        deleted = []
        if complete:
            deleted = self._ha_delete(
                table,
                [pk for key, pk in upserted.existing.id.items() if key not in rows],
            )
        return {
            "created": len(upserted.created),
            "updated": len(upserted.updated),
            "deleted": len(deleted),
        }

    @api.model
    def _ha_sync_labels(self, instance_id, labels, complete):
        rows = {}
        for label in labels:
            if not label.get("label_id"):
                continue
            rows[label["label_id"]] = {
                "name": _text(label.get("name")) or label["label_id"],
                "icon": _text(label.get("icon")),
                "ha_color": _text(label.get("color")),
                "description": _text(label.get("description")),
            }
        upserted = self._ha_upsert(
            "ha_label", instance_id, "label_id", LABEL_SPEC, rows
        )
        return self._ha_stats_deleting_missing("ha_label", upserted, rows, complete)

    @api.model
    def _ha_sync_areas(self, instance_id, areas, label_ids, floor_names, complete):
        rows, labels = {}, {}
        for area in areas:
            key = area.get("area_id")
            if not key:
                continue
            floor = area.get("floor_id")
            rows[key] = {
                "name": _text(area.get("name")) or key,
                "floor_id": _text(floor),
                "floor_name": _text(floor_names.get(floor)) if floor else None,
                "icon": _text(area.get("icon")),
                "picture": _text(area.get("picture")),
                "aliases": list(area.get("aliases") or []),
            }
            labels[key] = area.get("labels") or []
        upserted = self._ha_upsert("ha_area", instance_id, "area_id", AREA_SPEC, rows)
        ids = upserted.ids
        pairs = _label_pairs(ids, labels, label_ids)
        self._ha_sync_m2m(
            "ha_area_label_rel", "area_id", "label_id", [ids[k] for k in rows], pairs
        )
        return self._ha_stats_deleting_missing("ha_area", upserted, rows, complete)

    @api.model
    def _ha_sync_devices(self, instance_id, devices, area_ids, label_ids, complete):
        """Upsert devices; returns ``(counts, ids of devices whose area moved)``."""
        rows, labels, via = {}, {}, {}
        for device in devices:
            key = device.get("id") or device.get("device_id")
            if not key:
                continue
            vals = {c: _text(device.get(c)) for c, t in DEVICE_SPEC if t == "varchar"}
            vals.update(
                identifiers=device.get("identifiers"),
                connections=device.get("connections"),
                config_entries=device.get("config_entries"),
                area_id=area_ids.get(device.get("area_id")),
                active=True,
            )
            rows[key] = vals
            labels[key] = device.get("labels") or []
            via[key] = device.get("via_device_id")
        upserted = self._ha_upsert(
            "ha_device", instance_id, "device_id", DEVICE_SPEC, rows
        )
        ids = upserted.ids
        stored_area = upserted.existing.area_id
        moved = [
            ids[key]
            for key, vals in rows.items()
            if key in stored_area and stored_area[key] != vals["area_id"]
        ]
        # Second pass: a device may point at a device created in this same sync.
        _new, via_updates = diff_rows(
            self._ha_load("ha_device", instance_id, "device_id", ["via_device_id"]),
            {key: {"via_device_id": ids.get(parent)} for key, parent in via.items()},
            ["via_device_id"],
        )
        self._ha_update("ha_device", [("via_device_id", "int4")], via_updates)
        pairs = _label_pairs(ids, labels, label_ids)
        self._ha_sync_m2m(
            "ha_device_label_rel",
            "device_id",
            "label_id",
            [ids[k] for k in rows],
            pairs,
        )
        archived = []
        if complete:
            archived = self._ha_archive(
                "ha_device",
                [pk for key, pk in upserted.existing.id.items() if key not in rows],
            )
        counts = {
            "created": len(upserted.created),
            "updated": len(upserted.updated) + len(via_updates),
            "archived": len(archived),
        }
        return counts, moved

    @api.model
    def _ha_entity_links(self, instance_id, entries, area_ids, device_ids):
        """Entity registry entries → ``(links, labels, extra)`` per entity_id.

        ``links``: the :data:`ENTITY_LINK_SPEC` columns (area_id, device_id,
        follows_device_area, display_area_id); ``labels``: HA label ids;
        ``extra``: domain, name and active for rows still to create.
        """
        links, labels, extra = {}, {}, {}
        for entry in entries:
            key = entry.get("entity_id")
            if not key or "." not in key:
                continue
            own_area = entry.get("area_id")
            links[key] = {
                "area_id": area_ids.get(own_area),
                "device_id": device_ids.get(entry.get("device_id")),
                "follows_device_area": not own_area,
            }
            labels[key] = entry.get("labels") or []
            extra[key] = {
                "domain": key.split(".", 1)[0],
                "name": _text(entry.get("name") or entry.get("original_name")),
                # A disabled entity has no state: it shows up archived.
                "active": not entry.get("disabled_by"),
            }
        # display_area_id is written with the links: one write per entity row.
        self.env.cr.execute(
            SQL(
                "SELECT id, area_id FROM ha_device WHERE ha_instance_id = %s",
                instance_id,
            )
        )
        device_area = dict(self.env.cr.fetchall())  # {device id: area id}
        for vals in links.values():
            vals["display_area_id"] = display_area(
                vals["follows_device_area"],
                vals["area_id"],
                device_area.get(vals["device_id"]),
            )
        return links, labels, extra

    @api.model
    def _ha_sync_entity_registry(
        self, instance_id, entries, area_ids, device_ids, label_ids
    ):
        """Links of entities (area, device, labels); unknown entries are created.

        An entity with no own area follows its device's area (HA's rule).
        Entries missing from the list are left alone: states decide archiving.
        """
        links, labels, extra = self._ha_entity_links(
            instance_id, entries, area_ids, device_ids
        )
        columns = [c for c, _t in ENTITY_LINK_SPEC]
        existing = self._ha_load("ha_entity", instance_id, "entity_id", columns)
        to_insert, to_update = diff_rows(existing, links, columns)
        ids = dict(existing.id)
        created = self._ha_insert(
            "ha_entity",
            instance_id,
            "entity_id",
            ENTITY_REGISTRY_INSERT_SPEC,
            [(k, dict(vals, **extra[k])) for k, vals in to_insert],
        )
        ids.update(created)
        self._ha_update("ha_entity", ENTITY_LINK_SPEC, to_update)
        pairs = _label_pairs(ids, labels, label_ids)
        self._ha_sync_m2m(
            "ha_entity_label_rel",
            "entity_id",
            "label_id",
            [ids[k] for k in links if k in ids],
            pairs,
        )
        return {"created": len(created), "updated": len(to_update)}

    # -- registry events -------------------------------------------------------

    @api.model
    def _ha_apply_registry_event(self, instance, kind, action, data, notify=True):
        """Apply one ``<kind>_registry_updated`` event.

        ``kind``: floor, area, label, device or entity; ``action``: create,
        update, remove (others are ignored); ``data``: the event data, plus
        ``entry`` — the current registry entry re-fetched by the caller for
        create/update (events only carry ids). Labels and areas removed in HA
        are deleted, devices and entities archived. Returns a summary dict.
        """
        instance_id = self._ha_instance_id(instance)
        data = data or {}
        entry = data.get("entry")
        self.env.flush_all()
        result = {"kind": kind, "action": action}
        if action == "remove":
            result.update(self._ha_registry_remove(instance_id, kind, data))
        elif action in ("create", "update"):
            if kind == "entity" and data.get("old_entity_id"):
                result["renamed"] = self._ha_rename_entity(
                    instance_id, data["old_entity_id"], data.get("entity_id")
                )
            if entry and kind in BY_KIND:
                result["stats"] = self._ha_sync_registries(
                    instance_id,
                    complete=False,
                    notify=False,
                    **{BY_KIND[kind].sync_key: [entry]},
                )
            if kind == "floor" and entry:
                self.env.cr.execute(
                    SQL(
                        "UPDATE ha_area SET floor_name = %s"
                        " WHERE ha_instance_id = %s AND floor_id = %s",
                        _text(entry.get("name")),
                        instance_id,
                        entry.get("floor_id"),
                    )
                )
        self._ha_invalidate()
        if notify:
            notifier = self.env["ha.realtime.update"]
            if kind in ("area", "floor", "label"):
                key = (
                    data.get("area_id") or data.get("label_id") or data.get("floor_id")
                )
                notifier.notify_area_registry_update(
                    instance_id, action, [key] if key else []
                )
            elif kind in ("device", "entity"):
                key = data.get("device_id") or data.get("entity_id")
                notifier.notify_device_registry_update(
                    instance_id, action, [key] if key else []
                )
        return result

    @api.model
    def _ha_registry_remove(self, instance_id, kind, data):
        """A registry entry removed in HA: labels and areas are deleted, devices
        and entities archived, a floor is cleared from its areas."""
        if kind == "floor":
            if not data.get("floor_id"):
                return {}
            self.env.cr.execute(
                SQL(
                    "UPDATE ha_area SET floor_id = NULL, floor_name = NULL"
                    " WHERE ha_instance_id = %s AND floor_id = %s",
                    instance_id,
                    data["floor_id"],
                )
            )
            return {"cleared": self.env.cr.rowcount}
        if kind not in MIRROR_TABLES:
            return {}
        table, key = MIRROR_TABLES[kind]
        value = data.get(key)
        if not value:
            return {}
        ids = self._ha_ids(table, instance_id, key, keys=[value]).values()
        if kind in ("area", "label"):
            return {"deleted": self._ha_delete(table, ids)}
        return {"archived": self._ha_archive(table, list(ids))}

    @api.model
    def _ha_rename_entity(self, instance_id, old_key, new_key):
        """HA renamed an entity id: move the Odoo row (history follows by id)."""
        if not new_key or "." not in new_key or old_key == new_key:
            return False
        self.env.cr.execute(
            SQL(
                """
                UPDATE ha_entity SET entity_id = %(new)s, domain = %(domain)s
                 WHERE ha_instance_id = %(instance)s AND entity_id = %(old)s
                   AND NOT EXISTS (SELECT 1 FROM ha_entity
                                    WHERE ha_instance_id = %(instance)s
                                      AND entity_id = %(new)s)
                """,
                new=new_key,
                domain=new_key.split(".", 1)[0],
                instance=instance_id,
                old=old_key,
            )
        )
        return bool(self.env.cr.rowcount)
