"""Dramatiq entry point: `dramatiq workers` (see `app.runner` for how `make run` starts it).

The app is built first so the broker is set before any actor is declared.
"""

from app import create_app
from app.queue import get_broker
from workers.middleware import AppContext

app = create_app()
get_broker(app).add_middleware(AppContext(app))

from workers import actors  # noqa: E402,F401  (actors bind to the broker set above)
