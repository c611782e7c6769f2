from . import ha_instance
from . import ha_instance_connection
from . import ha_ws_request_queue
