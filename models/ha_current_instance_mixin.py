from odoo import _, api, fields, models
from odoo.exceptions import UserError


class HaCurrentInstanceMixin(models.AbstractModel):
    """A searchable "belongs to my current instance" flag for records carrying
    ``ha_instance_id``, behind the "Current instance" search filters."""

    _name = "ha.current.instance.mixin"
    _description = "Home Assistant Current Instance Mixin"

    is_current_user_instance = fields.Boolean(
        string="In Current Instance",
        compute="_compute_is_current_user_instance",
        search="_search_is_current_user_instance",
        help="Whether the record belongs to the instance currently chosen by the "
        "user (the instance switcher).",
    )

    @api.model
    def _ha_current_user_instance(self):
        """The user's preferred instance while it stays usable, else the first
        instance they can read: the same choice as the web client makes,
        without its side effects (no bus notification from a search)."""
        api_model = self.env["ha.api"]
        preference = self.env.user.current_ha_instance_id.id
        if preference:
            instance, _reason = api_model._usable_instance(preference)
            if instance:
                return instance
        return self.env["ha.instance"].search([], order="sequence, id", limit=1)

    @api.depends("ha_instance_id")
    @api.depends_context("uid")
    def _compute_is_current_user_instance(self):
        current = self._ha_current_user_instance()
        for record in self:
            record.is_current_user_instance = bool(
                current and record.ha_instance_id == current
            )

    def _search_is_current_user_instance(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(_("Unsupported search on the current instance flag."))
        current = self._ha_current_user_instance()
        if (operator == "=") == bool(value):
            # No usable instance: the filter shows nothing rather than all.
            return [("ha_instance_id", "=", current.id or False)]
        return [("ha_instance_id", "!=", current.id)] if current else []
