from odoo import models


class IrWebsocket(models.AbstractModel):
    _inherit = "ir.websocket"

    def _build_bus_channel_list(self, channels):
        """Odoo's channels, plus the Home Assistant channels the server
        authorizes for this user (never any the client asked for)."""
        channels = super()._build_bus_channel_list(channels)
        channels.extend(self.env["ha.realtime.update"]._ha_bus_channels())
        return channels
