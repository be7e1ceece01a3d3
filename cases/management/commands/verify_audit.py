from __future__ import annotations

import re

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.audit import audit_head, audit_verify, audit_verify_records


def checkpoint(value: str) -> tuple[int, str]:
    match = re.fullmatch(r"(\d+):([0-9a-f]{64})", value.strip())
    if not match:
        raise ValueError("a checkpoint looks like SEQ:HASH (as this command prints it)")
    return int(match.group(1)), match.group(2)


class Command(BaseCommand):
    help = (
        "Check the audit log's keyed hash chain and report the first broken link; with "
        "--checkpoint, also that an entry recorded earlier is still there unchanged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoint",
            type=checkpoint,
            help="SEQ:HASH printed by an earlier run (kept outside the database): finds a "
            "tail cut off and the chain's head wound back.",
        )
        parser.add_argument(
            "--records",
            action="store_true",
            help="Also check that every note, verdict and desk message matches the audit "
            "entry that recorded it (finds rows inserted or edited behind the desk's back; "
            "not for databases bulk-loaded by seed_demo --scale, which writes no entries).",
        )

    def handle(
        self, *args, checkpoint: tuple[int, str] | None = None, records: bool = False, **options
    ) -> None:
        checked, broken = audit_verify(checkpoint=checkpoint)
        if broken is not None:
            raise CommandError(
                f"Audit chain broken at entry #{broken.seq}: {broken.reason} "
                f"({checked} entries before it are intact)."
            )
        if records:
            mismatch = audit_verify_records()
            if mismatch is not None:
                raise CommandError(f"Audit chain intact, but {mismatch.reason}.")
        seq, digest = audit_head()
        self.stdout.write(f"Audit chain intact: {checked} entries verified.")
        if records:
            self.stdout.write("Notes, verdicts and desk messages match their audit entries.")
        self.stdout.write(f"Checkpoint (keep it outside the database): {seq}:{digest}")
