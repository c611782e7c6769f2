"""Protocol-faithful Home Assistant 2025.4.4 simulator (stdlib + websockets only).

Run standalone from the repo root::

    python -m tools.ha_simulator --host 127.0.0.1 --port 8123 --token T \
        [--demo] [--entities N --devices N --areas N] [--seed S]

It prints ``HA simulator ready on http://HOST:PORT (N entities)`` once
listening; SIGTERM/SIGINT stop it.  One port serves REST under ``/api/...``
and the WebSocket API at ``/api/websocket`` (HA's shapes and error codes,
message coalescing after ``supported_features``).

``--homes N`` serves N synthetic homes from one process instead, each with
its own token, entities and knobs, on ports PORT+i (or, with ``--layout
paths``, under ``/home/<i>`` of one port), and describes them as JSON (see
``__main__`` and :mod:`.homes`).  In tests: ``FarmThread(count=2)``.

In tests::

    with SimulatorThread(token="t", demo=True, port=0) as sim:
        sim.url, sim.ws_url, sim.token, sim.port
        sim.stats(); sim.set_state(eid, state, attrs); sim.get_state(eid)
        sim.drop_connections(); sim.delay_replies(s); sim.send_malformed()
        sim.revoke_token(); sim.set_token(t); sim.restart(downtime)
        sim.load(events_per_second, entities, duration); sim.burst(n, entities)

Control endpoints (same ``Authorization: Bearer`` token, JSON bodies):

=====================================  ==========================================
``GET  /_simulator/stats``             connections (authenticated now), auth_ok,
                                       auth_invalid, messages_received,
                                       service_calls, events_generated, entities
``POST /_simulator/set_state``         {entity_id, state, attributes?}
``POST /_simulator/load``              {events_per_second, entities, duration,
                                       existing}; events_per_second <= 0 = as
                                       fast as the clients absorb; existing:
                                       the home's own sensors change instead of
                                       sensor.load_*; runs in the background
``POST /_simulator/burst``             {n, entities}
``POST /_simulator/drop_connections``  abrupt TCP close of every socket
``POST /_simulator/delay_replies``     {seconds}: delay every command reply
``POST /_simulator/send_malformed``    a non-JSON text frame to every client
``POST /_simulator/revoke_token``      close sockets; every token now invalid
``POST /_simulator/set_token``         {token}: close sockets; only it is valid
``POST /_simulator/restart``           {downtime_seconds}: close sockets and the
                                       listener, listen again after downtime
=====================================  ==========================================

Load and burst events go to ``sensor.load_NNNNN`` entities (created on first
use, which emits ``state_changed`` with ``old_state: null``).  A client whose
outgoing queue reaches 4096 messages is disconnected, as HA does.
"""

from .homes import HomeFarm
from .server import Simulator
from .thread import FarmThread, SimulatorThread

__all__ = ["FarmThread", "HomeFarm", "Simulator", "SimulatorThread"]
