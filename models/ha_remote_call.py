"""One choke point for the Odoo → Home Assistant calls made by the models.

Registry edits, history backfill, long-term statistics and the full sync all go
through :meth:`HaRemoteCall._ha_call`, which runs the command on the process
holding the instance's connection (``ha.ws.request.queue._execute``, which never
commits the caller's transaction) and turns Home Assistant's errors into a
:class:`~odoo.exceptions.UserError` carrying HA's message. Raising rolls the
caller's transaction back, so an edit Home Assistant refuses leaves Odoo as it
was.
"""

from odoo import _, api, models
from odoo.exceptions import UserError

from .common import ha_errors

DEFAULT_TIMEOUT = 15.0


def ha_error_text(env, err):
    """A Home Assistant client error as text in ``env``'s language.

    The pure clients build their messages from English templates marked for
    translation (``ha_errors._lt``) and keep the values apart, so the template
    is translated here and filled; Home Assistant's own words inside the values
    stay as HA wrote them.
    """
    template = getattr(err, "template", None)
    if not isinstance(template, str) or not template:
        return str(err)
    params = getattr(err, "params", None) or {}
    try:
        return env._(template, **params) if params else env._(template)
    except (KeyError, TypeError, ValueError):
        return str(err)


class HaRemoteCall(models.AbstractModel):
    _name = "ha.remote.call"
    _description = "Home Assistant Remote Calls"

    @api.model
    def _ha_push_enabled(self):
        """False while the sync itself writes (HA's own change, no echo)."""
        return not self.env.context.get("from_ha_sync")

    @api.model
    def _ha_reachable(self, instance):
        """True when an Odoo process holds the connection to ``instance``."""
        return instance.sudo().websocket_status == "connected"

    @api.model
    def _ha_call(self, instance, payload, timeout=DEFAULT_TIMEOUT):
        """Run one WebSocket command on ``instance``; UserError on any failure."""
        instance.ensure_one()
        if not self._ha_reachable(instance):
            raise UserError(
                _(
                    "Home Assistant (%(instance)s) is not connected: '%(command)s' "
                    "cannot be sent. Nothing was changed.",
                    instance=instance.sudo().name,
                    command=payload.get("type"),
                )
            )
        try:
            return self.env["ha.ws.request.queue"]._execute(instance, payload, timeout)
        except ha_errors.HaError as err:
            raise UserError(
                _(
                    "Home Assistant (%(instance)s): %(error)s",
                    instance=instance.sudo().name,
                    error=ha_error_text(self.env, err),
                )
            ) from err
