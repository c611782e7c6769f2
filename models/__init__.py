from . import ha_instance
