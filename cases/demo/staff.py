"""Demo staff: one login per role with an easy password, and the table that prints them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from cases.roles import Role

DEMO_PASSWORD = "demo-pass-2026"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str  # a Role group name, or "superuser"
    first_name: str
    last_name: str
    about: str


DEMO_LOGINS = (
    DemoLogin("arbitrator", Role.ARBITRATOR, "Mei", "Lin", "day shift 06-14 UTC+8"),
    DemoLogin("arbitrator2", Role.ARBITRATOR, "Oleg", "Sokolov", "late shift 14-22 UTC+8"),
    DemoLogin("arbitrator3", Role.ARBITRATOR, "Ana", "Ribeiro", "night shift 22-06 UTC+8"),
    DemoLogin("senior", Role.SENIOR_ARBITRATOR, "Hannah", "Weber", "escalations, four-eyes"),
    DemoLogin("senior2", Role.SENIOR_ARBITRATOR, "Wei", "Zhang", "escalations, four-eyes"),
    DemoLogin("lead", Role.TEAM_LEAD, "Priya", "Nair", "assigns work, KPIs, rulebook"),
    DemoLogin("risk", Role.RISK_ANALYST, "Tomasz", "Nowak", "fraud patterns"),
    DemoLogin("auditor", Role.AUDITOR, "Claire", "Dubois", "read-only"),
    DemoLogin("admin", "superuser", "Site", "Admin", "administers users and tokens; no desk role"),
)


def staff_ensure(*, joined_at: datetime) -> tuple[dict[str, AbstractBaseUser], list[str]]:
    """Create the demo logins that are missing; returns (users by name, names created).

    Existing users keep their password (someone may have changed it on purpose) but get
    back their staff flag and role group.
    """
    User = get_user_model()
    created: list[str] = []
    users: dict[str, AbstractBaseUser] = {}
    groups = {g.name: g for g in Group.objects.filter(name__in=Role.ALL)}
    missing_groups = set(Role.ALL) - set(groups)
    if missing_groups:
        raise RuntimeError(
            f"Role groups missing (run migrate): {', '.join(sorted(missing_groups))}"
        )
    # One hash for all: PBKDF2 is deliberately slow and `make run` should not wait for nine.
    password_hash = None
    with transaction.atomic():
        for login in DEMO_LOGINS:
            user = User.objects.filter(username=login.username).first()
            if user is None:
                user = User(
                    username=login.username,
                    first_name=login.first_name,
                    last_name=login.last_name,
                    email=f"{login.username}@desk.example.com",
                )
                validate_password(DEMO_PASSWORD, user)
                if password_hash is None:
                    password_hash = make_password(DEMO_PASSWORD)
                user.password = password_hash
                user.is_staff = True
                user.is_superuser = login.role == "superuser"
                # Staff joined before the eight weeks of history they worked on.
                with time_machine.travel(joined_at, tick=False):
                    user.save()
                created.append(login.username)
            elif not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
            if login.role in groups:
                user.groups.add(groups[login.role])
            users[login.username] = user
    return users, created


def logins_table() -> str:
    """The demo logins present in the database, as a table to print."""
    User = get_user_model()
    present = set(
        User.objects.filter(username__in=[login.username for login in DEMO_LOGINS]).values_list(
            "username", flat=True
        )
    )
    rows = [login for login in DEMO_LOGINS if login.username in present]
    if not rows:
        return "No demo logins in this database (run `manage.py seed_demo` to create them)."
    width = max(len(login.username) for login in rows)
    role_width = max(len(login.role) for login in rows)
    lines = [
        f"Demo logins (password for all: {DEMO_PASSWORD}; log in at /accounts/login/, "
        "admin at /admin/):",
        f"  {'username'.ljust(width)}  {'role'.ljust(role_width)}  notes",
        f"  {'-' * width}  {'-' * role_width}  {'-' * 30}",
    ]
    for login in rows:
        lines.append(
            f"  {login.username.ljust(width)}  {login.role.ljust(role_width)}  {login.about}"
        )
    return "\n".join(lines)
