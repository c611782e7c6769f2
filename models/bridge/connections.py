"""The bridge's own PostgreSQL connections, outside Odoo's pool.

Odoo's prefork master closes every pooled connection before forking, and a
session-level advisory lock taken on a pooled connection would move with it:
the bridge's control, work and request-queue connections are raw psycopg2
connections in autocommit mode. Each is named ``odoo_ha_addon-<pid>`` in
``pg_stat_activity``.
"""

import os

import psycopg2
import psycopg2.errors
import psycopg2.extensions

import odoo


def connect_autocommit(dbname):
    """A raw autocommit connection to ``dbname``.

    These connections only write request-queue rows and take locks, which
    nobody needs after a PostgreSQL crash (their callers fail anyway):
    asynchronous commit spares the WAL flush on each commit of a queued command.
    """
    _dbname, info = odoo.sql_db.connection_info_for(dbname)
    options = f"{info.get('options', '')} -c synchronous_commit=off".strip()
    info = dict(info, application_name=f"odoo_ha_addon-{os.getpid()}", options=options)
    conn = psycopg2.connect(**info)
    conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
    return conn


def database_away(err):
    """Whether ``err`` says the session or the server is gone, not that a
    query of ours failed (a statement timeout, say). libpq's own errors carry
    no SQLSTATE: psycopg2 raises them as the base OperationalError."""
    return type(err) is psycopg2.OperationalError or isinstance(
        err,
        psycopg2.InterfaceError
        | psycopg2.errors.ConnectionException
        | psycopg2.errors.AdminShutdown
        | psycopg2.errors.CrashShutdown
        | psycopg2.errors.CannotConnectNow,
    )
