"""``ha.instance``: one Home Assistant server Odoo connects to.

Here: its settings and connection status fields, ``create``/``write``/``unlink``
(which tell every Odoo process's connection supervisor to reload; an instance
still holding mirrored data is not deleted), the connection test and restart,
the status written by the process that holds the connection, and the entry
points of the full sync (applied through ``ha.sync``). Which Home Assistant the
data came from is ``ha_instance_identity``; the form's other buttons (syncs,
clearing the data) are ``ha_instance_tools``.
"""

import asyncio
import json
import logging
from datetime import timedelta
from urllib.parse import urlsplit

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from .common import ha_errors
from .common import websocket_thread_manager as wtm
from .common.ha_registry_kinds import REGISTRY_KINDS, SNAPSHOT_COMMANDS
from .common.hass_rest_api import HassRestApi
from .common.hass_websocket_service import HassWebSocketClient, websocket_url
from .ha_remote_call import ha_error_text

_logger = logging.getLogger(__name__)

WS_STATES = [
    ("connected", "Connected"),
    ("connecting", "Connecting"),
    ("disconnected", "Disconnected"),
    ("error", "Error"),
]
# Fields whose change must restart the connection.
CONNECTION_FIELDS = {"api_url", "api_token", "active"}
SYNC_TIMEOUT = 60.0
MAX_URL_LENGTH = 2048


def notification(message, kind="info", **params):
    """The client action showing ``message`` as a toast (``kind``: info,
    success, warning, danger); ``params`` go along (e.g. ``next``)."""
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {"type": kind, "message": message, **params},
    }


class HaInstance(models.Model):
    """A Home Assistant server: URL, token, and the status of its connection."""

    _name = "ha.instance"
    _description = "Home Assistant Instance"
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text()
    # Odoo-only custom fields of this instance's records (never sent to HA).
    entity_properties_definition = fields.PropertiesDefinition(
        string="Entity Properties"
    )
    group_properties_definition = fields.PropertiesDefinition(
        string="Entity Group Properties"
    )
    device_properties_definition = fields.PropertiesDefinition(
        string="Device Properties"
    )
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

    # Connection status, written by the process that holds the connection
    # (see websocket_thread_manager); plain columns, so reading them costs one
    # query and writing them flushes no cache of any other worker.
    ws_state = fields.Selection(WS_STATES, default="disconnected", readonly=True)
    ws_error = fields.Char(string="Last Error", readonly=True)
    ws_error_code = fields.Char(readonly=True)
    ws_since = fields.Datetime(string="Status Since", readonly=True)
    history_gap_start = fields.Datetime(
        readonly=True,
        copy=False,
        help="The recorded history may lack Home Assistant's changes after "
        "this time; the next connection fetches them.",
    )
    ws_leader = fields.Char(
        string="Connected From",
        readonly=True,
        help="Host and process id of the Odoo process that holds the connection.",
    )
    ha_version = fields.Char(string="HA Version", readonly=True)
    # Which Home Assistant the mirrored data came from (see ha_instance_identity).
    ha_instance_uuid = fields.Char(
        string="Home Assistant Identity",
        readonly=True,
        copy=False,
        index=True,
        help="Home Assistant's own uuid when it gives one, else a fingerprint "
        "of the URL the mirrored data came from.",
    )
    last_api_url = fields.Char(
        string="Data Mirrored From",
        readonly=True,
        copy=False,
        help="The URL the mirrored data of this instance came from.",
    )
    ha_identity_warning = fields.Boolean(
        string="URL Changed Since the Data Was Mirrored",
        compute="_compute_ha_identity_warning",
    )
    websocket_status = fields.Selection(
        WS_STATES,
        string="WebSocket Status",
        compute="_compute_websocket_status",
        help="Connected only while an Odoo process really holds the connection.",
    )

    # -- computes --------------------------------------------------------------

    @api.depends("api_url")
    def _compute_ws_url(self):
        for instance in self:
            instance.ws_url = websocket_url(instance.api_url)

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

    def _compute_websocket_status(self):
        held = self._held_locks()
        for instance in self:
            state = instance.ws_state or "disconnected"
            if state in ("connected", "connecting") and instance.id not in held:
                # The process that wrote this status is gone.
                state = "disconnected"
            instance.websocket_status = state

    def _held_locks(self):
        return wtm.held_locks(self.env.cr, self.ids)

    # -- constraints -----------------------------------------------------------

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
            if len(instance.api_url) > MAX_URL_LENGTH:
                raise ValidationError(
                    _(
                        "The URL of %(name)s is longer than %(max)s characters.",
                        name=instance.name,
                        max=MAX_URL_LENGTH,
                    )
                )
            if parts.query or parts.fragment:
                raise ValidationError(
                    _(
                        "The URL of %(name)s must not carry a query or fragment.",
                        name=instance.name,
                    )
                )

    # -- CRUD: every process's connection supervisor follows -------------------

    @api.model_create_multi
    def create(self, vals_list):
        instances = super().create(vals_list)
        instances._ha_stamp_identity()
        instances._notify_supervisors("reload")
        return instances

    def write(self, vals):
        result = super().write(vals)
        if "api_url" in vals:
            # Without mirrored data there is nothing to confuse: the new URL
            # is simply where the data will come from.
            self.filtered(
                lambda i: not i._ha_holds_mirrored_data()
            )._ha_stamp_identity()
        if CONNECTION_FIELDS & set(vals):
            self._notify_supervisors("reload")
        return result

    def unlink(self):
        for instance in self:
            if instance._ha_holds_mirrored_data():
                raise UserError(
                    _(
                        "%(name)s still holds data mirrored from Home Assistant. "
                        "Clear it first (Clear instance data on the instance), "
                        "then delete the instance.",
                        name=instance.name,
                    )
                )
        ids = self.ids
        result = super().unlink()
        self._notify_supervisors("reload", ids)
        return result

    def _register_hook(self):
        # The registry of this database is loaded in this process: its
        # connection supervisor (if it runs one) takes the database on.
        super()._register_hook()
        wtm.register_database(self.env.cr.dbname)

    def _notify_supervisors(self, action, ids=None):
        # NOTIFY is delivered on commit and dropped on rollback: exactly when
        # the supervisors of every process should react.
        payload = json.dumps({"action": action, "ids": ids or self.ids})
        self.env.cr.execute("SELECT pg_notify(%s, %s)", (wtm.CONTROL_CHANNEL, payload))

    # -- actions ---------------------------------------------------------------

    def action_restart_websocket(self):
        self.env["ha.instance"].check_access("write")
        self._notify_supervisors("restart")
        return notification(
            _(
                "Restart asked for %(names)s: the connection is rebuilt within "
                "a few seconds.",
                names=", ".join(self.mapped("name")),
            )
        )

    def test_connection(self, timeout=10.0):
        """One WebSocket auth round trip with this instance's URL and token.

        Returns ``{"ha_version": ..., "uuid": ...}`` (``uuid`` is None when
        Home Assistant's config gives none); raises a :class:`HaError` with a
        message the user understands otherwise.
        """
        self.ensure_one()
        self.check_access("write")
        instance = self.sudo()
        if not instance.api_token:
            raise ha_errors.HaAuthError(
                ha_errors._lt("No access token is set for this instance.")
            )
        if not instance.ws_url:
            raise ha_errors.HaBadRequestError(ha_errors._lt("The URL is not valid."))
        return asyncio.run(_probe(instance.ws_url, instance.api_token, timeout))

    def _test_connection_or_raise(self):
        """:meth:`test_connection` with a failure as a UserError for the UI."""
        self.ensure_one()
        try:
            return self.test_connection()
        except ha_errors.HaError as err:
            raise UserError(
                _(
                    "Connection to %(name)s failed: %(error)s",
                    name=self.name,
                    error=ha_error_text(self.env, err),
                )
            ) from err

    def action_test_connection(self):
        info = self._test_connection_or_raise()
        other_ha = self._ha_check_identity(info.get("uuid"))
        if other_ha:
            return notification(other_ha, kind="warning", sticky=True)
        return notification(
            _(
                "Connected to Home Assistant %(version)s at %(url)s.",
                version=info["ha_version"],
                url=self.api_url,
            ),
            kind="success",
        )

    # -- status: the event dispatcher's calls (superuser, one transaction each) ---

    def _ha_set_ws_status(self, state, message, ha_version, code=None):
        self.ensure_one()
        me = wtm.leader_identity()
        if state == "disconnected" and self.ws_leader and self.ws_leader != me:
            # A process that handed the instance over closes its connection
            # after the next leader may have said "connected": not its word.
            return
        vals = {
            "ws_state": state if state in dict(WS_STATES) else "error",
            "ws_error": message if state == "error" else False,
            "ws_error_code": code if state == "error" else False,
            "ws_since": fields.Datetime.now(),
            "ws_leader": me,
        }
        if ha_version:
            vals["ha_version"] = ha_version
        self.write(vals)
        self._ha_notify_status()
        self.env["ha.availability.alert"]._ha_connection_changed(self)

    def _ha_notify_status(self):
        realtime = self.env.get("ha.realtime.update")
        if realtime is not None and hasattr(realtime, "notify_ha_websocket_status"):
            payload = self._ha_status_payload()
            realtime.notify_ha_websocket_status(self, payload.pop("status"), **payload)

    def _ha_status_payload(self):
        self.ensure_one()
        return {
            "instance_id": self.id,
            "status": self.ws_state,
            "message": self.ws_error or "",
            "ha_version": self.ha_version or "",
            "since": fields.Datetime.to_string(self.ws_since) if self.ws_since else "",
        }

    # -- full sync, applied through ha.sync ------------------------------------

    def _ha_apply_full_sync(self, snapshot):
        """A (re)connect's full picture, every entity row written at most once.

        Floors, labels, areas and devices first; then the states, new entities
        created with their registry links; then the entity registry, which
        only writes what still differs (and creates registry-only entities).
        A registry list left to None (unchanged, see the event dispatcher) is
        not synced.
        """
        self.ensure_one()
        ha_config = snapshot.get("config") or {}
        if ha_config.get("version") and ha_config["version"] != self.ha_version:
            self.ha_version = ha_config["version"]
        sync = self.env["ha.sync"]
        lists = {
            kind.sync_key: snapshot.get(kind.snapshot_key) for kind in REGISTRY_KINDS
        }
        entity_registry = lists.pop("entity_registry")  # after the states
        sync._ha_sync_registries(self, complete=True, **lists)
        if snapshot.get("states") is not None:
            sync._ha_sync_states(
                self,
                snapshot["states"],
                complete=True,
                ha_running=ha_config.get("state", "RUNNING") == "RUNNING",
                entity_registry=entity_registry,
            )
        if entity_registry is not None:
            sync._ha_sync_registries(
                self, entity_registry=entity_registry, complete=True
            )
        return True

    def _ha_open_history_gap(self):
        """``(start, entity ids)`` of the recorded history a connection may miss.

        Called as a connection starts, before its first event. Changes HA
        made while no process was connected reach the mirror as their last
        state only (the snapshot); every change after the newest
        ``last_updated`` the mirror holds then is such a change. That time
        is kept in ``history_gap_start`` until a catch-up stored the recorded
        entities' history since then (``_ha_close_history_gap``): a
        connection that ends first (a leader handed over at once) leaves the
        gap to the next one, which starts from the same point. At most as
        far back as the history backfill goes; None when nothing is recorded
        or nothing was mirrored yet.
        """
        self.ensure_one()
        self.env.cr.execute(
            """
            SELECT max(last_updated),
                   array_agg(entity_id ORDER BY entity_id)
                       FILTER (WHERE enable_record)
              FROM ha_entity
             WHERE ha_instance_id = %s AND active
            """,
            [self.id],
        )
        newest, recorded = self.env.cr.fetchone()
        start = self.history_gap_start or newest
        days = self.env["ha.entity"]._ha_backfill_days()
        if not start or not recorded or days <= 0:
            return None
        if not self.history_gap_start:
            self.history_gap_start = start
        return max(start, fields.Datetime.now() - timedelta(days=days)), recorded

    def _ha_close_history_gap(self, rows, start):
        """Store a catch-up's ``rows``; the gap opened at ``start`` is closed
        (unless a later connection opened another meanwhile)."""
        self.ensure_one()
        if rows:
            self.env["ha.sync"]._ha_store_history(self, rows)
        if self.history_gap_start and self.history_gap_start <= start:
            self.history_gap_start = False

    def _ha_apply_registries(self, lists):
        """Fresh full lists of the registries an HA registry event touched."""
        self.ensure_one()
        self.env["ha.sync"]._ha_sync_registries(self, complete=True, **lists)

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


async def _probe(ws_url, token, timeout):
    client = HassWebSocketClient(
        ws_url, token, open_timeout=timeout, call_timeout=timeout, ping_interval=None
    )
    try:
        await asyncio.wait_for(client.connect(), timeout)
        config = await client.get_config(timeout)
        # Home Assistant's own uuid, when its config gives one (see
        # ha_instance_identity for the URL fingerprint used otherwise).
        uuid = config.get("uuid") if isinstance(config, dict) else None
        return {
            "ha_version": client.ha_version,
            "uuid": uuid if isinstance(uuid, str) and uuid else None,
        }
    except asyncio.TimeoutError as err:
        raise ha_errors.HaTimeoutError(
            ha_errors._lt("No answer from %(url)s within %(timeout)s s."),
            code="timeout",
            params={"url": ws_url, "timeout": round(timeout)},
        ) from err
    finally:
        await client.close()
