"""Odoo → Home Assistant edits of ``ha.entity``: name, area and labels."""

from odoo import _, fields, models
from odoo.exceptions import UserError

# Fields mirrored to HA's entity registry (config/entity_registry/update).
PUSHED_FIELDS = {"name", "area_id", "follows_device_area", "label_ids"}


class HaEntity(models.Model):
    _inherit = "ha.entity"

    # Editable by managers: a new name is HA's registry name (empty restores
    # the integration's name).
    name = fields.Char(readonly=False)

    def write(self, vals):
        remote = self.env["ha.remote.call"]
        if not remote._ha_push_enabled() or not PUSHED_FIELDS & set(vals):
            return super().write(vals)
        vals = dict(vals)
        # HA's rule: an entity with an own area does not follow its device.
        if vals.get("follows_device_area"):
            vals["area_id"] = False
        elif "area_id" in vals:
            vals["follows_device_area"] = not vals["area_id"]
        result = super().write(vals)
        # After the ORM write (constraints checked), before the commit: if HA
        # refuses, the UserError rolls the Odoo change back.
        for entity in self:
            remote._ha_call(entity.ha_instance_id, entity._ha_registry_update(vals))
        return result

    def _ha_registry_update(self, vals):
        """The ``config/entity_registry/update`` command for changed ``vals``.

        Only the fields really written are sent: a labels-only update leaves
        HA's area alone (the original cleared it).
        """
        self.ensure_one()
        payload = {"type": "config/entity_registry/update", "entity_id": self.entity_id}
        if "name" in vals:
            payload["name"] = self.name or None
        if "area_id" in vals or "follows_device_area" in vals:
            area = self.browse() if self.follows_device_area else self.area_id
            if area and not area.area_id:
                raise UserError(
                    _("Area %(area)s is not known to Home Assistant.", area=area.name)
                )
            payload["area_id"] = area.area_id or None
        if "label_ids" in vals:
            payload["labels"] = self.label_ids._ha_label_ids()
        return payload
