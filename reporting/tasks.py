from .packs.tasks import *  # noqa: F401,F403
from .reminders.tasks import *  # noqa: F401,F403
from .spreadsheets.tasks import *  # noqa: F401,F403
