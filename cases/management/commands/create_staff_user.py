from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from arbitration.exceptions import InvalidInput
from cases.audit import audit_record
from cases.floor.staff import clean_languages, clean_max_open, clean_time_zone
from cases.models import StaffProfile
from cases.roles import Role


class Command(BaseCommand):
    help = (
        "Create or update a staff user in one role (the contract's role names), with the "
        "languages they work in, their open-case limit and their time zone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.ALL)
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--languages", help="Language codes, comma-separated: en,zh")
        parser.add_argument(
            "--max-open", type=int, dest="max_open", help="Open cases at most (0-500)"
        )
        parser.add_argument("--time-zone", dest="time_zone", help="IANA name: Asia/Shanghai")

    def _profile(self, options: dict[str, Any]) -> dict[str, Any]:
        """The floor settings given, checked by the staff page's own rules."""
        given: dict[str, Any] = {}
        try:
            if options.get("languages") is not None:
                given["languages"] = clean_languages(options["languages"])
            if options.get("max_open") is not None:
                given["max_open_cases"] = clean_max_open(options["max_open"])
            if options.get("time_zone") is not None:
                given["time_zone"] = clean_time_zone(options["time_zone"])
        except InvalidInput as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from None
        return given

    def handle(self, *args, username: str, role: str, password: str, email: str, **options) -> None:
        User = get_user_model()
        user = User.objects.filter(username=username).first() or User(username=username)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from None
        profile_fields = self._profile(options)
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
            profile, _ = StaffProfile.objects.get_or_create(user=user)
            if profile_fields:
                for name, value in profile_fields.items():
                    setattr(profile, name, value)
                profile.save(update_fields=list(profile_fields))
            audit_record(
                actor=None,
                action="staff.created" if created else "staff.updated",
                obj=user,
                after={"username": username, "role": role, **profile_fields},
            )
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} staff user {username!r} with role {role}.")
