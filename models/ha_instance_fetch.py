"""``fetch_states`` per instance: the full sync started from Odoo."""

from odoo import models

from .common.ha_registry_kinds import SNAPSHOT_COMMANDS
from .common.hass_rest_api import HassRestApi

SYNC_TIMEOUT = 60.0


class HaInstance(models.Model):
    _inherit = "ha.instance"

    def _ha_fetch_full_sync(self):
        """One instance's full sync; returns the path used (websocket/rest)."""
        self.ensure_one()
        remote = self.env["ha.remote.call"]
        if remote._ha_reachable(self):
            snapshot = {
                key: remote._ha_call(self, {"type": command}, SYNC_TIMEOUT)
                for key, command in SNAPSHOT_COMMANDS.items()
            }
            self._ha_apply_full_sync(snapshot)
            mode = "websocket"
        else:
            with HassRestApi(self.api_url, self.api_token, timeout=SYNC_TIMEOUT) as api:
                ha_config = api.get_config()
                states = api.get_states()
            self.env["ha.sync"]._ha_sync_states(
                self,
                states,
                complete=True,
                ha_running=ha_config.get("state", "RUNNING") == "RUNNING",
            )
            mode = "rest"
        return mode
