from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from cases.services import service_account_issue_token


class Command(BaseCommand):
    help = (
        "Create a service account for a calling service (or rotate its key) and print the "
        "token key alone on the last line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The calling service, e.g. p2p-order-service.")

    def handle(self, *args, name: str, **options) -> None:
        token, created = service_account_issue_token(name=name)
        what = "Created service account" if created else "Rotated the key of service account"
        self.stdout.write(
            f"{what} {token.user.get_username()!r}. Send it as 'Authorization: Token <key>'."
        )
        self.stdout.write(token.key)
