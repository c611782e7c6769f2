from . import controllers, models
from .hooks import post_init_hook, post_load, pre_init_hook, uninstall_hook
