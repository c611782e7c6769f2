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


class HaDevice(models.Model):
    _inherit = "ha.device"

    def action_view_entities(self):
        self.ensure_one()
        return open_records(
            self,
            "ha.entity",
            _("Entities of %(name)s", name=self.display_name),
            [("device_id", "=", self.id)],
        )

    def action_view_tags(self):
        self.ensure_one()
        return open_records(
            self,
            "ha.device.tag",
            _("Tags of %(name)s", name=self.display_name),
            [("id", "in", self.tag_ids.ids)],
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
        self.ensure_one()
        return open_records(
            self,
            "ha.entity",
            _("Entities of %(name)s", name=self.name),
            [("group_ids", "in", self.ids)],
        )

    def action_view_tags(self):
        self.ensure_one()
        return open_records(
            self,
            "ha.entity.group.tag",
            _("Tags of %(name)s", name=self.name),
            [("id", "in", self.tag_ids.ids)],
        )


class HaEntityTag(models.Model):
    _inherit = "ha.entity.tag"

    def action_view_entities(self):
        self.ensure_one()
        return open_records(
            self,
            "ha.entity",
            _("Entities tagged %(name)s", name=self.name),
            [("tag_ids", "in", self.ids)],
        )


class HaEntityGroupTag(models.Model):
    _inherit = "ha.entity.group.tag"

    def action_view_groups(self):
        self.ensure_one()
        return open_records(
            self,
            "ha.entity.group",
            _("Groups tagged %(name)s", name=self.name),
            [("tag_ids", "in", self.ids)],
        )


class HaLabel(models.Model):
    _inherit = "ha.label"

    def action_view_entities(self):
        self.ensure_one()
        return open_records(
            self,
            "ha.entity",
            _("Entities labelled %(name)s", name=self.name),
            [("label_ids", "in", self.ids)],
        )

    def action_view_devices(self):
        self.ensure_one()
        return open_records(
            self,
            "ha.device",
            _("Devices labelled %(name)s", name=self.name),
            [("label_ids", "in", self.ids)],
        )

    def action_view_areas(self):
        self.ensure_one()
        return open_records(
            self,
            "ha.area",
            _("Areas labelled %(name)s", name=self.name),
            [("label_ids", "in", self.ids)],
        )
