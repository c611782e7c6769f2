"""Pulls from Home Assistant started in Odoo: the full sync (``fetch_states``)
and the history backfill when recording is switched on."""

import logging
from datetime import datetime, timedelta

from odoo import _, api, models
from odoo.exceptions import AccessError, UserError

from .common import ha_errors

_logger = logging.getLogger(__name__)

BACKFILL_PARAM = "odoo_ha_addon.history_backfill_days"
DEFAULT_BACKFILL_DAYS = 1
BACKFILL_BATCH = 100  # entity ids per history/history_during_period
BACKFILL_TIMEOUT = 60.0


def _iso_utc(moment):
    return moment.isoformat() + "+00:00"


class HaEntity(models.Model):
    _inherit = "ha.entity"

    # -- full sync --------------------------------------------------------------

    @api.model
    def fetch_states(self):
        """Full sync of every active instance (managers and the system only).

        Through the connection (registries and states) when an Odoo process
        holds it, else REST ``/api/states`` (states only). An instance that
        fails does not stop the others: each gets its own savepoint and an
        entry ``{instance_id, name, success, mode, error}`` in the result.
        """
        user = self.env.user
        if not (
            self.env.su
            or user.has_group("odoo_ha_addon.group_ha_manager")
            or user.has_group("base.group_system")
        ):
            raise AccessError(
                _("Only Home Assistant managers may run a full synchronisation.")
            )
        # sudo: every active instance is synced, with its (manager-only) token.
        instances = self.env["ha.instance"].sudo().search([])
        results = []
        for instance in instances:
            entry = {"instance_id": instance.id, "name": instance.name}
            try:
                with self.env.cr.savepoint():
                    entry["mode"] = instance._ha_fetch_full_sync()
                entry["success"] = True
            except (UserError, ha_errors.HaError, ValueError) as err:
                message = err.args[0] if isinstance(err, UserError) else str(err)
                _logger.warning(
                    "HA instance %s (%s): full sync failed: %s",
                    instance.id,
                    instance.name,
                    message,
                )
                entry.update(
                    success=False,
                    error=_(
                        "Full synchronisation of %(instance)s failed: %(error)s",
                        instance=instance.name,
                        error=message,
                    ),
                )
            results.append(entry)
        return results

    # -- history backfill -------------------------------------------------------

    def write(self, vals):
        newly_recorded = self.browse()
        if vals.get("enable_record"):
            newly_recorded = self.filtered(lambda e: not e.enable_record)
        result = super().write(vals)
        if newly_recorded and not self.env.context.get("ha_no_backfill"):
            newly_recorded._ha_backfill_history()
        return result

    @api.model
    def _ha_backfill_days(self):
        # sudo: a technical parameter, read for the user who switches recording on
        value = (
            self.env["ir.config_parameter"].sudo().get_param(BACKFILL_PARAM, "") or ""
        ).strip()
        try:
            return int(value) if value else DEFAULT_BACKFILL_DAYS
        except ValueError:
            _logger.warning("Ignoring invalid %s=%r", BACKFILL_PARAM, value)
            return DEFAULT_BACKFILL_DAYS

    def _ha_backfill_history(self, days=None):
        """Store the last ``days`` of HA history of these entities.

        ``history/history_during_period`` per instance (batches of ids), stored
        by ``ha.sync._ha_store_history`` (duplicates skipped). Runs in the
        caller's transaction, never commits; HA errors raise a UserError. An
        instance no Odoo process is connected to is skipped (logged): recording
        then starts with the next live state. Returns the rows inserted.
        """
        days = self._ha_backfill_days() if days is None else days
        if days <= 0 or not self:
            return 0
        remote = self.env["ha.remote.call"]
        # Whole seconds: HA stamps the start-time state with exactly this start.
        end = datetime.utcnow().replace(microsecond=0)
        start = end - timedelta(days=days)
        inserted = 0
        for instance in self.ha_instance_id:
            entities = self.filtered(lambda e, i=instance: e.ha_instance_id == i)
            if not remote._ha_reachable(instance):
                _logger.info(
                    "HA instance %s not connected: no history backfill for %s "
                    "entities",
                    instance.id,
                    len(entities),
                )
                continue
            keys = entities.mapped("entity_id")
            for offset in range(0, len(keys), BACKFILL_BATCH):
                payload = {
                    "type": "history/history_during_period",
                    "start_time": _iso_utc(start),
                    "end_time": _iso_utc(end),
                    "entity_ids": keys[offset : offset + BACKFILL_BATCH],
                    "include_start_time_state": True,
                    "significant_changes_only": False,
                    "minimal_response": False,
                    "no_attributes": False,
                }
                rows = remote._ha_call(instance, payload, BACKFILL_TIMEOUT)
                if not isinstance(rows, dict):
                    raise UserError(
                        _("Home Assistant sent an unexpected history answer.")
                    )
                inserted += self.env["ha.sync"]._ha_store_history(
                    instance, rows, window_start=start
                )
        return inserted
