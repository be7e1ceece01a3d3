from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from cases.audit import audit_record
from cases.roles import Role


class Command(BaseCommand):
    help = "Create or update a staff user in one role (the contract's role names)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.ALL)
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")

    def handle(self, *args, username: str, role: str, password: str, email: str, **options) -> None:
        User = get_user_model()
        user = User.objects.filter(username=username).first() or User(username=username)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from None
        with transaction.atomic():
            created = user.pk is None
            user.is_staff = True
            user.is_active = True
            if email:
                user.email = email
            user.set_password(password)
            user.save()
            # One role per user: moving roles removes the old one.
            user.groups.remove(*Group.objects.filter(name__in=Role.ALL).exclude(name=role))
            user.groups.add(Group.objects.get(name=role))
            audit_record(
                actor=None,
                action="staff.created" if created else "staff.updated",
                obj=user,
                after={"username": username, "role": role},
            )
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} staff user {username!r} with role {role}.")
