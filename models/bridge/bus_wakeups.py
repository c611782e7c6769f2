"""Wake Odoo's bus listeners after a mirror commit, on one kept connection.

Odoo's bus writes its rows before commit and sends its ``imbus`` NOTIFY (in
the ``postgres`` database, where the listeners are) after commit, on a
connection it opens for that transaction and closes again: one PostgreSQL
backend started per push. The event dispatcher pushes up to ten times a
second per instance, so it keeps one connection for those wake-ups. Bus rows
are still written by ``_bus_send``; only the wake-up moves here.

The one touch point with Odoo's bus internals is :func:`claim_bus_channels`;
``test_event_dispatcher.TestBusWakeups`` fails if Odoo changes it.
"""

import logging

import psycopg2
import psycopg2.extensions

import odoo
from odoo.tools import OrderedSet

from odoo.addons.bus.models.bus import ODOO_NOTIFY_FUNCTION, get_notify_payloads

_logger = logging.getLogger(__name__)

# Odoo's bus keeps the channels a transaction notified under this key of
# cr.postcommit.data, and adds its own NOTIFY hook only when the key is absent.
_BUS_CHANNELS_KEY = "bus.bus.channels"


def claim_bus_channels(cr):
    """Take over the ``imbus`` wake-up of ``cr``'s transaction.

    Returns the (live) set of bus channels the transaction notifies: Odoo's
    ``bus.bus._sendone`` adds to it, and, finding it in place, registers no
    NOTIFY of its own. The caller must wake the listeners after commit.
    """
    channels = OrderedSet()
    cr.postcommit.data[_BUS_CHANNELS_KEY] = channels
    return channels


def _imbus_sql(payload):
    # The function name is Odoo's setting (ODOO_NOTIFY_FUNCTION), not user input.
    return f"SELECT \"{ODOO_NOTIFY_FUNCTION}\"('imbus', %s)", (payload,)


class BusWakeups:
    """The ``imbus`` NOTIFYs of one dispatcher, on one kept connection."""

    def __init__(self):
        self._conn = None

    def install(self, cr):
        """Send ``cr``'s bus wake-ups through this connection after its commit."""
        channels = claim_bus_channels(cr)
        cr.postcommit.add(lambda: self.notify(channels))

    def notify(self, channels):
        """Wake the listeners of ``channels``; never raises (runs after commit)."""
        if not channels:
            return
        payloads = get_notify_payloads(list(channels))
        for attempt in (1, 2):
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = self._connect()
                with self._conn.cursor() as cr:
                    for payload in payloads:
                        cr.execute(*_imbus_sql(payload))
                return
            except psycopg2.Error as err:
                self.close()
                if attempt == 2:
                    self._notify_the_odoo_way(payloads, err)

    @staticmethod
    def _notify_the_odoo_way(payloads, err):
        # Runs after the commit: never raise (the changes are saved), say so.
        _logger.warning("bus wake-up failed (%s); Odoo's way instead", err)
        try:
            with odoo.sql_db.db_connect("postgres").cursor() as cr:
                for payload in payloads:
                    cr.execute(*_imbus_sql(payload))
        except psycopg2.Error as again:
            _logger.warning(
                "bus wake-up failed again (%s): open pages see these changes "
                "with the next push",
                again,
            )

    @staticmethod
    def _connect():
        _dbname, info = odoo.sql_db.connection_info_for("postgres")
        conn = psycopg2.connect(**dict(info, application_name="odoo_ha_addon-bus"))
        conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
        return conn

    def fileno(self):
        """The connection's descriptor, if open (see ``process_policy``)."""
        return (
            self._conn.fileno()
            if self._conn is not None and not self._conn.closed
            else None
        )

    def close(self):
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg2.Error:
                _logger.debug("closing the bus connection", exc_info=True)
            self._conn = None
