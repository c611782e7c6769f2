"""Odoo → Home Assistant edits of ``ha.device`` (``config/device_registry/update``)."""

from odoo import _, models
from odoo.exceptions import UserError

PUSHED_FIELDS = {"area_id", "name_by_user", "label_ids"}


class HaDevice(models.Model):
    _inherit = "ha.device"

    def write(self, vals):
        result = super().write(vals)
        remote = self.env["ha.remote.call"]
        if remote._ha_push_enabled() and PUSHED_FIELDS & set(vals):
            for device in self:
                remote._ha_call(device.ha_instance_id, device._ha_registry_update(vals))
        return result

    def _ha_registry_update(self, vals):
        """The ``config/device_registry/update`` command for changed ``vals``."""
        self.ensure_one()
        payload = {"type": "config/device_registry/update", "device_id": self.device_id}
        if "area_id" in vals:
            if self.area_id and not self.area_id.area_id:
                raise UserError(
                    _(
                        "Area %(area)s is not known to Home Assistant.",
                        area=self.area_id.name,
                    )
                )
            payload["area_id"] = self.area_id.area_id or None
        if "name_by_user" in vals:
            payload["name_by_user"] = self.name_by_user or None
        if "label_ids" in vals:
            payload["labels"] = self.label_ids._ha_label_ids()
        return payload
