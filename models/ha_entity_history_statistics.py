"""Long-term statistics of numeric sensors, from HA's recorder, chart-ready."""

from datetime import datetime

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

STAT_PERIODS = ("5minute", "hour", "day", "week", "month")
STAT_TYPES = ["mean", "min", "max", "sum", "state", "change"]
STAT_TIMEOUT = 30.0
MAX_ENTITIES = 50


def _ms_to_iso(value):
    if not isinstance(value, int | float):
        return None
    return datetime.utcfromtimestamp(value / 1000.0).isoformat() + "Z"


class HaEntityHistory(models.Model):
    _inherit = "ha.entity.history"

    @api.model
    def get_statistics(self, entity_ids, start, end, period="hour"):
        """HA's long-term statistics (``recorder/statistics_during_period``).

        ``entity_ids`` are ``ha.entity`` ids; record rules apply first (an
        entity the user may not see raises AccessError). Only sensors with a
        ``state_class`` have statistics; the other entities come back with
        ``supported: False`` and no points. Returns ``{start, end, period,
        series: [{id, entity_id, name, ha_instance_id, unit, supported,
        points: [{t, end, mean, min, max, sum, state, change}]}]}``.
        """
        if period not in STAT_PERIODS:
            raise UserError(
                _("period must be one of %(values)s.", values=", ".join(STAT_PERIODS))
            )
        start = fields.Datetime.to_datetime(start)
        end = fields.Datetime.to_datetime(end)
        if not start or not end or end <= start:
            raise UserError(_("The statistics period must end after it starts."))
        if isinstance(entity_ids, int):
            entity_ids = [entity_ids]
        wanted = {int(i) for i in entity_ids or []}
        if len(wanted) > MAX_ENTITIES:
            raise UserError(
                _("At most %(count)s entities per request.", count=MAX_ENTITIES)
            )
        entities = (
            self.env["ha.entity"]
            .with_context(active_test=False)
            .search([("id", "in", list(wanted))])
        )
        if len(entities) != len(wanted):
            raise AccessError(
                _("You may not read the statistics of some of these entities.")
            )
        self.check_access("read")
        series = {}
        for entity in entities:
            attributes = entity.attributes or {}
            series[entity.id] = {
                "id": entity.id,
                "entity_id": entity.entity_id,
                "name": entity.name or entity.entity_id,
                "ha_instance_id": entity.ha_instance_id.id,
                "unit": attributes.get("unit_of_measurement"),
                "supported": entity.domain == "sensor"
                and bool(attributes.get("state_class")),
                "points": [],
            }
        remote = self.env["ha.remote.call"]
        for instance in entities.ha_instance_id:
            # The entities passed the user's record rules: ask HA for them.
            supported = entities.filtered(
                lambda e, i=instance: e.ha_instance_id == i
                and series[e.id]["supported"]
            )
            if not supported:
                continue
            result = remote._ha_call(
                instance,
                {
                    "type": "recorder/statistics_during_period",
                    "start_time": start.isoformat() + "+00:00",
                    "end_time": end.isoformat() + "+00:00",
                    "statistic_ids": supported.mapped("entity_id"),
                    "period": period,
                    "types": STAT_TYPES,
                },
                STAT_TIMEOUT,
            )
            result = result if isinstance(result, dict) else {}
            for entity in supported:
                series[entity.id]["points"] = [
                    {
                        "t": _ms_to_iso(row.get("start")),
                        "end": _ms_to_iso(row.get("end")),
                        **{key: row.get(key) for key in STAT_TYPES},
                    }
                    for row in result.get(entity.entity_id) or []
                    if isinstance(row, dict)
                ]
        return {
            "start": start.isoformat() + "Z",
            "end": end.isoformat() + "Z",
            "period": period,
            "series": list(series.values()),
        }
