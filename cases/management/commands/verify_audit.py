from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from cases.audit import audit_verify


class Command(BaseCommand):
    help = "Check the audit log's hash chain and report the first broken link."

    def handle(self, *args, **options) -> None:
        checked, broken = audit_verify()
        if broken is not None:
            raise CommandError(
                f"Audit chain broken at entry #{broken.seq}: {broken.reason} "
                f"({checked} entries before it are intact)."
            )
        self.stdout.write(f"Audit chain intact: {checked} entries verified.")
