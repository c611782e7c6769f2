"""Registry events (``*_registry_updated``) of ``ha.sync``."""

from odoo import api, models
from odoo.tools import SQL

from .common.ha_registry_kinds import BY_KIND
from .ha_sync import _text


class HaSync(models.AbstractModel):
    _inherit = "ha.sync"

    # -- registry events ---------------------------------------------------------

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
        self._ha_recompute_display_area(instance_id)
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
        table, key, field = {
            "area": ("ha_area", "area_id", "area_id"),
            "label": ("ha_label", "label_id", "label_id"),
            "device": ("ha_device", "device_id", "device_id"),
            "entity": ("ha_entity", "entity_id", "entity_id"),
            "floor": ("ha_area", "floor_id", "floor_id"),
        }.get(kind, (None, None, None))
        value = data.get(field)
        if not table or not value:
            return {}
        if kind == "floor":
            self.env.cr.execute(
                SQL(
                    "UPDATE ha_area SET floor_id = NULL, floor_name = NULL"
                    " WHERE ha_instance_id = %s AND floor_id = %s",
                    instance_id,
                    value,
                )
            )
            return {"cleared": self.env.cr.rowcount}
        rows = self._ha_load(table, instance_id, key, [])
        ids = [rows[value][0]] if value in rows else []
        if kind in ("area", "label"):
            return {
                "deleted": self._ha_delete_missing(
                    table, instance_id, rows, set(rows) - {value}
                )
            }
        return {"archived": self._ha_archive(table, ids)}

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
