import gc
import sys

# Loading matcalc makes no garbage for the cycle collector to find: it waits
# until the command starts (cli.command turns it back on), issue 24.
gc.disable()
from .cli import command  # noqa: E402  (after the line above, on purpose)

sys.exit(command())
