"""The "view …" buttons of devices, groups, tags and labels.

Each opens the members of a record in their own list (with the record's
instance as the default of new ones). A device's related automations, scripts
and scenes are the ones Home Assistant names for it (``search/related``).
"""

from odoo import _, models


def open_records(record, model, name, domain):
    """An act_window of ``model`` rows in ``domain``, for ``record``'s instance."""
    return {
        "type": "ir.actions.act_window",
        "name": name,
        "res_model": model,
        "view_mode": "list,form",
        "domain": domain,
        "context": {"default_ha_instance_id": record.ha_instance_id.id},
    }


def open_members(record, model, name, field):
    """The ``model`` rows whose many2many ``field`` holds ``record``."""
    record.ensure_one()
    return open_records(record, model, name, [(field, "in", record.ids)])


class HaDevice(models.Model):
    _inherit = "ha.device"

    def action_view_entities(self):
        self.ensure_one()
        title = _("Entities of %(name)s", name=self.display_name)
        return open_records(self, "ha.entity", title, [("device_id", "=", self.id)])

    def action_view_tags(self):
        self.ensure_one()
        title = _("Tags of %(name)s", name=self.display_name)
        return open_records(
            self, "ha.device.tag", title, [("id", "in", self.tag_ids.ids)]
        )

    def _ha_open_related(self, kind, title):
        """The ``kind`` entities (automation, script, scene) HA relates to
        this device, as far as Odoo mirrors and the user sees them."""
        self.ensure_one()
        related = self.env["ha.remote.call"]._ha_call(
            self.ha_instance_id,
            {
                "type": "search/related",
                "item_type": "device",
                "item_id": self.device_id,
            },
        )
        found = related.get(kind) if isinstance(related, dict) else None
        keys = [key for key in found or [] if isinstance(key, str)]
        return open_records(
            self,
            "ha.entity",
            title,
            [
                ("ha_instance_id", "=", self.ha_instance_id.id),
                ("entity_id", "in", keys),
            ],
        )

    def action_view_related_automations(self):
        return self._ha_open_related(
            "automation", _("Automations of %(name)s", name=self.display_name)
        )

    def action_view_related_scripts(self):
        return self._ha_open_related(
            "script", _("Scripts of %(name)s", name=self.display_name)
        )

    def action_view_related_scenes(self):
        return self._ha_open_related(
            "scene", _("Scenes of %(name)s", name=self.display_name)
        )


class HaEntityGroup(models.Model):
    _inherit = "ha.entity.group"

    def action_view_entities(self):
        title = _("Entities of %(name)s", name=self.name)
        return open_members(self, "ha.entity", title, "group_ids")

    def action_view_tags(self):
        title = _("Tags of %(name)s", name=self.name)
        return open_records(
            self, "ha.entity.group.tag", title, [("id", "in", self.tag_ids.ids)]
        )


class HaEntityTag(models.Model):
    _inherit = "ha.entity.tag"

    def action_view_entities(self):
        title = _("Entities tagged %(name)s", name=self.name)
        return open_members(self, "ha.entity", title, "tag_ids")


class HaDeviceTag(models.Model):
    _inherit = "ha.device.tag"

    def action_view_devices(self):
        title = _("Devices tagged %(name)s", name=self.name)
        return open_members(self, "ha.device", title, "tag_ids")


class HaEntityGroupTag(models.Model):
    _inherit = "ha.entity.group.tag"

    def action_view_groups(self):
        title = _("Groups tagged %(name)s", name=self.name)
        return open_members(self, "ha.entity.group", title, "tag_ids")


class HaLabel(models.Model):
    _inherit = "ha.label"

    def action_view_entities(self):
        title = _("Entities labelled %(name)s", name=self.name)
        return open_members(self, "ha.entity", title, "label_ids")

    def action_view_devices(self):
        title = _("Devices labelled %(name)s", name=self.name)
        return open_members(self, "ha.device", title, "label_ids")

    def action_view_areas(self):
        title = _("Areas labelled %(name)s", name=self.name)
        return open_members(self, "ha.area", title, "label_ids")
