from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arbitration.exceptions import DomainError
from cases.services import webhook_subscriber_add


class Command(BaseCommand):
    help = "Register (or update) a webhook subscriber URL for some event types."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url")
        parser.add_argument("--secret", required=True, help="Shared secret for the HMAC signature.")
        parser.add_argument(
            "--events", required=True, help="Comma-separated event types, e.g. verdict.issued"
        )

    def handle(self, *args, url: str, secret: str, events: str, **options) -> None:
        try:
            subscriber, created = webhook_subscriber_add(
                url=url, secret=secret, events=[e.strip() for e in events.split(",") if e.strip()]
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        verb = "Added" if created else "Updated"
        self.stdout.write(f"{verb} subscriber {subscriber.url} for {', '.join(subscriber.events)}.")
