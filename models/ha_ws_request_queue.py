"""``ha.ws.request.queue``: the rows of commands waiting for an instance's leader.

The protocol (both sides, the connection pool, the errors crossing the queue)
is :mod:`.bridge.request_queue`; this model holds the rows and the entry point.
"""

from odoo import api, fields, models

from .common import websocket_thread_manager as wtm

DEFAULT_TIMEOUT = 10.0


class HaWsRequestQueue(models.Model):
    """Commands for Home Assistant, run by the process holding the connection.

    Only the system reaches this model (no access rule for any group): callers
    go through :meth:`_execute`, which validates the instance and the caller's
    rights first.
    """

    _name = "ha.ws.request.queue"
    _description = "Home Assistant Request Queue"
    _order = "id"
    _log_access = False

    ha_instance_id = fields.Many2one(
        "ha.instance", required=True, ondelete="cascade", index=True
    )
    command = fields.Char(required=True, help="WebSocket command type")
    payload = fields.Text(required=True)
    timeout = fields.Float(default=DEFAULT_TIMEOUT)
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("processing", "Processing"),
            ("done", "Done"),
            ("error", "Error"),
            ("timeout", "Timed out"),
        ],
        default="pending",
        required=True,
        index=True,
    )
    result = fields.Text()
    create_date = fields.Datetime(readonly=True)
    deadline = fields.Datetime(required=True)
    claimed_by = fields.Char()
    claimed_at = fields.Datetime()
    done_at = fields.Datetime()

    @api.model
    def _execute(self, instance, payload, timeout=DEFAULT_TIMEOUT):
        """Run one WebSocket command on ``instance`` and return its result.

        Raises a :class:`~.common.ha_errors.HaError` on failure. The caller's
        transaction is never committed: a queued row lives on its own connection.
        """
        instance.ensure_one()
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            raise ValueError("a WebSocket command needs a string 'type'")
        return wtm.run_command(self.env.cr, instance.id, payload, timeout)
