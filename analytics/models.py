from __future__ import annotations

# Daily appeal metrics arrive with the metrics issue; the app exists so that its
# migrations, tasks and pages have their home from the start.
