"""The seed's name for the HA connection supervisor: see :mod:`..bridge`.

A thin facade: the supervisor, the leaders, their locks, the request queue
and the event dispatcher live in the ``models/bridge`` package, one job per
module. What the rest of the addon needs from them is named here.
"""

from ..bridge.database_worker import CONTROL_CHANNEL
from ..bridge.leader_locks import LOCK_NAMESPACE, held_locks
from ..bridge.process_policy import leader_identity, supervisor_enabled
from ..bridge.request_queue import run_command
from ..bridge.supervisor import (
    local_leader,
    register_database,
    start_supervisor,
    stop_database,
    stop_supervisor,
)

__all__ = [
    "CONTROL_CHANNEL",
    "LOCK_NAMESPACE",
    "held_locks",
    "leader_identity",
    "local_leader",
    "register_database",
    "run_command",
    "start_supervisor",
    "stop_database",
    "stop_supervisor",
    "supervisor_enabled",
]
