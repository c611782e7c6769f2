from urllib.parse import urlsplit

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class HaInstance(models.Model):
    _name = "ha.instance"
    _description = "Home Assistant Instance"
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text()
    api_url = fields.Char(
        string="URL",
        required=True,
        help="Base URL of Home Assistant, e.g. http://homeassistant.local:8123",
    )
    api_token = fields.Char(
        string="Long-Lived Access Token",
        copy=False,
        groups="odoo_ha_addon.group_ha_manager",
    )
    ws_url = fields.Char(
        string="WebSocket URL",
        compute="_compute_ws_url",
        help="Derived from the URL: http becomes ws, https becomes wss.",
    )
    last_sync_date = fields.Datetime(
        string="Last Sync", readonly=True, copy=False, help="Last full sync from HA"
    )
    entity_group_ids = fields.One2many(
        "ha.entity.group", "ha_instance_id", string="Entity Groups"
    )
    entity_count = fields.Integer(compute="_compute_counts")
    area_count = fields.Integer(compute="_compute_counts")
    device_count = fields.Integer(compute="_compute_counts")

    @api.depends("api_url")
    def _compute_ws_url(self):
        for instance in self:
            instance.ws_url = self._ws_url_from(instance.api_url)

    @api.depends_context("uid")
    def _compute_counts(self):
        # Counted as the current user: record rules decide what is counted.
        counts = {}
        for model, field in (
            ("ha.entity", "entity_count"),
            ("ha.area", "area_count"),
            ("ha.device", "device_count"),
        ):
            groups = self.env[model]._read_group(
                [("ha_instance_id", "in", self._origin.ids)],
                ["ha_instance_id"],
                ["__count"],
            )
            counts[field] = {instance.id: count for instance, count in groups}
        for instance in self:
            for field, by_instance in counts.items():
                instance[field] = by_instance.get(instance._origin.id, 0)

    @staticmethod
    def _ws_url_from(api_url):
        if not api_url:
            return False
        scheme, netloc, path = urlsplit(api_url)[:3]
        ws_scheme = {"http": "ws", "https": "wss"}.get(scheme)
        if not ws_scheme or not netloc:
            return False
        return f"{ws_scheme}://{netloc}{path.rstrip('/')}/api/websocket"

    @api.constrains("api_url")
    def _check_api_url(self):
        for instance in self:
            parts = urlsplit(instance.api_url or "")
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValidationError(
                    _(
                        "The URL of %(name)s must start with http:// or https:// "
                        "and name a host, e.g. http://homeassistant.local:8123.",
                        name=instance.name,
                    )
                )
            if parts.query or parts.fragment:
                raise ValidationError(
                    _(
                        "The URL of %(name)s must not carry a query or fragment.",
                        name=instance.name,
                    )
                )
