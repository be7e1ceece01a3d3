"""The 24x7 floor: who is on shift, automatic assignment, the escalation matrix, missed
deadlines and reminders, incidents, and staff management. It reads and schedules appeals;
every change to one goes through `cases.lifecycle`. The clocks it pauses live in
`cases.sla`, the notifications it sends in `cases.notifications`; `tick.floor_tick` is
what Celery beat and `manage.py floor_tick` run.

Import its modules directly (`from cases.floor import assignment`): the package itself
re-exports nothing, so that importing a light module never pulls in the rest.
"""
