from . import ha_instance_clear_wizard
