import json
import threading
from collections import OrderedDict
from datetime import timedelta

from odoo import api, models
from odoo.tools import SQL

from odoo.addons.bus.models.bus import channel_with_db, json_dump

from .ha_realtime_update import channel_key

# Seconds of Home Assistant pushes a (re)connecting client is still sent. A
# push is a delta of live states: a client away longer loads current states
# with its next view, so it is not flooded with every batch it missed (at ten
# pushes a second per instance, the bus keeps thousands until its vacuum).
# Counted from the start of the transaction that wrote the push (its
# create_date), in the database's clock: no push of a transaction shorter than
# this (every mirror transaction, and any full sync but a giant one) is lost.
REPLAY_SECONDS = 30
# HA messages kept decoded per process: every online viewer of a class polls
# the same message (up to hundreds of kB under an event storm), which is then
# read and decoded once per process instead of once per websocket. Shared
# read-only: Odoo's websocket only serializes what a poll returns.
MESSAGE_CACHE_SIZE = 32
_messages = OrderedDict()  # (dbname, bus.bus id) -> decoded message
_messages_lock = threading.Lock()
# One websocket at a time reads and decodes missing messages: a push wakes
# every online viewer at once, and without it each one would read the same
# (TOASTed, compressed) message from PostgreSQL and decode it again.
_fetch_lock = threading.Lock()


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
        REPLAY_SECONDS, the messages decoded once per process."""
        conditions = [
            SQL(
                "channel = ANY(%s) AND create_date > (now() AT TIME ZONE 'UTC') - %s",
                channels,
                timedelta(seconds=REPLAY_SECONDS),
            )
        ]
        if last:
            conditions.append(SQL("id > %s", last))
        if ignore_ids:
            conditions.append(SQL("id != ALL(%s)", list(ignore_ids)))
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT id FROM bus_bus WHERE %s ORDER BY id",
                SQL(" AND ").join(conditions),
            )
        )
        ids = [row[0] for row in cr.fetchall()]
        found = self._ha_cached_messages(ids)
        if None in found.values():
            with _fetch_lock:
                # Decoded meanwhile by the websocket that held the lock?
                found = self._ha_cached_messages(ids)
                missing = [i for i, message in found.items() if message is None]
                if missing:
                    found.update(self._ha_decode_messages(missing))
        return [{"id": i, "message": found[i]} for i in ids if found[i] is not None]

    def _ha_cached_messages(self, ids):
        dbname = self.env.cr.dbname
        with _messages_lock:
            return {i: _messages.get((dbname, i)) for i in ids}

    def _ha_decode_messages(self, ids):
        cr = self.env.cr
        cr.execute(SQL("SELECT id, message FROM bus_bus WHERE id = ANY(%s)", ids))
        decoded = {i: json.loads(message) for i, message in cr.fetchall()}
        with _messages_lock:
            for i, message in decoded.items():
                _messages[(cr.dbname, i)] = message
            while len(_messages) > MESSAGE_CACHE_SIZE:
                _messages.popitem(last=False)
        return decoded
