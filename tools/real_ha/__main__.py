"""``python -m tools.real_ha {install,start,stop,status,token,reset}``."""

import sys

from .manager import main

sys.exit(main())
