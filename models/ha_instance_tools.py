"""``ha.instance``: the administration buttons of the instance form.

Sync the registries, the entities or the recorded history now; open the
entities; clear the data mirrored from Home Assistant (through
``ha.instance.clear.wizard``); the modal form "+ New instance" of the
dashboard. Every call to Home Assistant goes through ``ha.remote.call`` (the
process holding the connection runs it; the caller's transaction is never
committed), and clearing the data never sends Home Assistant anything.
"""

from odoo import _, api, models
from odoo.exceptions import AccessError, UserError

from .common import ha_errors
from .common.ha_registry_kinds import REGISTRY_KINDS
from .ha_instance import SYNC_TIMEOUT, notification
from .ha_remote_call import ha_error_text

# What an instance holds, in the order it is deleted: (key, model). The key
# names the count field of ha.instance.clear.wizard (``<key>_count``).
MIRRORED_DATA = (
    ("history", "ha.entity.history"),
    ("group_tag", "ha.entity.group.tag"),
    ("group", "ha.entity.group"),
    ("entity_tag", "ha.entity.tag"),
    ("device_tag", "ha.device.tag"),
    ("entity", "ha.entity"),
    ("device", "ha.device"),
    ("label", "ha.label"),
    ("area", "ha.area"),
    ("queue", "ha.ws.request.queue"),
)


class HaInstance(models.Model):
    _inherit = "ha.instance"

    # -- the data the instance holds -------------------------------------------

    def _ha_mirrored_counts(self):
        """``{key: rows}`` of this instance, archived rows included; only the
        keys with rows, so an empty dict means nothing is held."""
        self.ensure_one()
        counts = {}
        for key, model in MIRRORED_DATA:
            table = self.env[model]._table
            # SQL: every row counts, whatever the user's rules or archived state.
            self.env.cr.execute(
                f"SELECT count(*) FROM {table} WHERE ha_instance_id = %s",  # noqa: S608
                [self.id],
            )
            rows = self.env.cr.fetchone()[0]
            if rows:
                counts[key] = rows
        return counts

    def _ha_holds_mirrored_data(self):
        """Whether this instance holds mirrored data (the request queue aside):
        a row's existence, not a count of millions of history rows."""
        self.ensure_one()
        for key, model in MIRRORED_DATA:
            if key == "queue":
                continue
            self.env.cr.execute(
                f"SELECT EXISTS (SELECT 1 FROM {self.env[model]._table}"  # noqa: S608
                " WHERE ha_instance_id = %s)",
                [self.id],
            )
            if self.env.cr.fetchone()[0]:
                return True
        return False

    def _ha_clear_mirrored_data(self):
        """Delete everything this instance holds, keep the instance; returns
        the counts deleted. Nothing is sent to Home Assistant (``from_ha_sync``
        keeps the area and label deletions local)."""
        self.ensure_one()
        self.env["ha.instance"].check_access("unlink")
        counts = self._ha_mirrored_counts()
        env = self.env(
            context=dict(
                self.env.context,
                active_test=False,
                from_ha_sync=True,
                tracking_disable=True,
            ),
            su=True,
        )
        self.env.flush_all()
        # The history may be millions of rows: one statement, no ORM records.
        self.env.cr.execute(
            "DELETE FROM ha_entity_history WHERE ha_instance_id = %s", [self.id]
        )
        env["ha.entity.history"].invalidate_model()
        for key, model in MIRRORED_DATA:
            if key != "history":
                env[model].search([("ha_instance_id", "=", self.id)]).unlink()
        self.sudo().write({"last_sync_date": False, "history_gap_start": False})
        self._ha_stamp_identity()
        self.env["ha.realtime.update"].notify_entity_update_all(self)
        return counts

    # -- buttons ---------------------------------------------------------------

    def _ha_check_manager(self):
        if not self.env["ha.api"]._ha_is_manager():
            raise AccessError(_("Only Home Assistant managers may do this."))
        self.check_access("write")

    def action_sync_registry(self):
        """Floors, labels, areas, devices and the entity registry, now."""
        self.ensure_one()
        self._ha_check_manager()
        remote = self.env["ha.remote.call"]
        lists = {
            kind.sync_key: remote._ha_call(self, {"type": kind.command}, SYNC_TIMEOUT)
            for kind in REGISTRY_KINDS
        }
        self._ha_apply_registries(lists)
        return notification(
            _(
                "Registries of %(name)s synced: %(labels)s labels, %(areas)s "
                "areas, %(devices)s devices.",
                name=self.name,
                labels=len(lists["labels"] or []),
                areas=len(lists["areas"] or []),
                devices=len(lists["devices"] or []),
            ),
            kind="success",
        )

    def action_sync_entities(self):
        """The full sync (registries and states) the connection does on start."""
        self.ensure_one()
        self._ha_check_manager()
        try:
            mode = self.sudo()._ha_fetch_full_sync()
        except ha_errors.HaError as err:  # the REST path, when not connected
            raise UserError(
                _(
                    "Home Assistant (%(name)s): %(error)s",
                    name=self.name,
                    error=ha_error_text(self.env, err),
                )
            ) from err
        return notification(
            _(
                "Entities of %(name)s synced (%(count)s entities, through %(mode)s).",
                name=self.name,
                count=self.entity_count,
                mode=mode,
            ),
            kind="success",
        )

    def action_sync_history(self):
        """The recent history of the recorded entities, from HA's recorder."""
        self.ensure_one()
        self._ha_check_manager()
        recorded = self.env["ha.entity"].search(
            [("ha_instance_id", "=", self.id), ("enable_record", "=", True)]
        )
        if not recorded:
            return notification(
                _(
                    "No entity of %(name)s records its history: switch Record "
                    "History on for the entities to keep.",
                    name=self.name,
                ),
                kind="warning",
            )
        if not self.env["ha.remote.call"]._ha_reachable(self):
            raise UserError(
                _(
                    "Home Assistant (%(name)s) is not connected: its history "
                    "cannot be fetched now.",
                    name=self.name,
                )
            )
        rows = recorded._ha_backfill_history()
        return notification(
            _(
                "History of %(entities)s recorded entities synced: %(rows)s new "
                "states.",
                entities=len(recorded),
                rows=rows,
            ),
            kind="success",
        )

    def action_clear_data(self):
        self.ensure_one()
        self._ha_check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": _("Clear Instance Data"),
            "res_model": "ha.instance.clear.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_instance_id": self.id},
        }

    def action_view_entities(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "odoo_ha_addon.ha_entity_action"
        )
        action["domain"] = [("ha_instance_id", "=", self.id)]
        action["context"] = {"default_ha_instance_id": self.id}
        return action

    @api.model
    def action_open_create_modal(self):
        """The dashboard's "+ New instance": a modal form, managers only."""
        if not self.env["ha.api"]._ha_is_manager():
            raise AccessError(_("Only Home Assistant managers may add an instance."))
        return {
            "type": "ir.actions.act_window",
            "name": _("New Home Assistant Instance"),
            "res_model": "ha.instance",
            "view_mode": "form",
            "views": [
                [self.env.ref("odoo_ha_addon.ha_instance_view_form_modal").id, "form"]
            ],
            "target": "new",
        }
