import json
from datetime import timedelta

from odoo import api, models

from odoo.addons.bus.models.bus import channel_with_db, json_dump

from .ha_realtime_update import channel_key

# Seconds of Home Assistant pushes a (re)connecting client is still sent. A
# push is a delta of live states: a client away longer loads current states
# with its next view, so it is not flooded with every batch it missed (at ten
# pushes a second per instance, the bus keeps thousands until its vacuum).
REPLAY_SECONDS = 10


class BusBus(models.Model):
    _inherit = "bus.bus"

    @api.model
    def _poll(self, channels, last=0, ignore_ids=None):
        """Odoo's poll, with the Home Assistant channels checked again.

        The websocket keeps the channels it subscribed to; a user who lost a
        right since (removed from an entity group, no longer an HA User)
        would keep receiving them. Each poll keeps only the HA channels the
        user is authorized for now, whatever their client does.
        """
        dbname = self.env.cr.dbname
        ha, others = [], []
        for channel in channels:
            full = channel_with_db(dbname, channel)
            key = channel_key(full)
            (ha if key else others).append((full, key))
        if not ha:
            return super()._poll(channels, last, ignore_ids)
        result = []
        if others:
            result = super()._poll([c for c, _k in others], last, ignore_ids)
        authorized = self.env["ha.realtime.update"]._ha_authorized_keys()
        allowed = [json_dump(c) for c, key in ha if key in authorized]
        if allowed:
            result += self._ha_poll(allowed, last, ignore_ids)
            result.sort(key=lambda notification: notification["id"])
        return result

    @api.model
    def _ha_poll(self, channels, last, ignore_ids):
        """Odoo's poll of ``channels`` (JSON), without what is older than
        REPLAY_SECONDS."""
        since = self.env.cr.now() - timedelta(seconds=REPLAY_SECONDS)
        domain = [("channel", "in", channels), ("create_date", ">", since)]
        if last:
            domain.append(("id", ">", last))
        if ignore_ids:
            domain.append(("id", "not in", ignore_ids))
        return [
            {"id": row["id"], "message": json.loads(row["message"])}
            for row in self.sudo().search_read(domain, ["message"])
        ]
