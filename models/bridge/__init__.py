"""The only bridge between asyncio (Home Assistant) and the ORM.

What
    Every serving Odoo process runs one supervisor. For each active,
    configured ``ha.instance`` the processes of every Odoo server on the
    database compete for a PostgreSQL session-level advisory lock; the holder
    (the *leader*) keeps the one WebSocket to Home Assistant, mirrors its
    states and registries into the ORM in short batched transactions, and
    runs the commands other processes queue in ``ha.ws.request.queue``.

How it works, one job per module
    ``process_policy``   whether this process runs a supervisor; fork handling
    ``supervisor``       the supervisor thread, its asyncio loop thread, the
                         per-process singleton (start, stop, databases)
    ``database_worker``  per database: its control connection, the
                         reconciliation of instances, wake-ups (NOTIFY, pipe)
    ``leader_locks``     the advisory locks that make a process the leader,
                         and the fair share that balances leaders
    ``instance_leader``  per led instance: the HA client and what it
                         subscribes to and fetches on every (re)connect
    ``instance_feed``    what a leader pushes its HA events to
    ``event_dispatcher`` per database: every led instance's HA events ->
                         ORM transactions, on one connection
    ``owed_pushes``      the bus messages live changes owe, and when they
                         leave (the push delay, storms)
    ``bus_wakeups``      Odoo bus wake-ups after those commits
    ``command_holds``    lets this process's HA commands answer first
    ``odoo_contexts``    the context ids of Odoo's service calls (echoes)
    ``request_queue``    both sides of the request queue, its pool, errors
    ``registry_digests`` skips registry lists a full sync already applied
    ``connections``      the bridge's raw PostgreSQL connections

Threads (all daemons)
    ``odoo_ha_addon.supervisor``, ``odoo_ha_addon.loop`` (network I/O only),
    ``odoo_ha_addon.db.<db>`` and ``odoo_ha_addon.dispatch.<db>``: a fixed
    number per process, whatever the number of instances.

PostgreSQL connections per process and database
    one control connection (locks, LISTEN, the worker's queries), one for
    the mirror's transactions (Odoo's pool, used by one thread), one bus
    wake-up connection (to the ``postgres`` database), and up to four pooled
    request-queue connections while commands are sent from a process that
    does not lead the instance.

How to run
    Nothing to configure: ``hooks.post_load`` starts the supervisor where
    :func:`.process_policy.supervisor_enabled` allows it;
    ``ODOO_HA_SUPERVISOR=0`` keeps a process from connecting.

Caveats
    PgBouncer in transaction pooling mode breaks session-level advisory
    locks: point Odoo at PostgreSQL directly. A PostgreSQL crash may lose the
    last mirror commits (asynchronous commit): the full sync after the
    leader's reconnect restores them.
"""
