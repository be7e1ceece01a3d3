"""The penalty matrix: which account action a verdict's responsible party usually gets."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .models import AccountAction, Appeal, PenaltyRule, Verdict


@dataclass(frozen=True)
class Penalty:
    kind: str
    days: int | None
    repeat: bool
    note: str

    @property
    def label(self) -> str:
        label = AccountAction.Kind(self.kind).label if self.kind else _("no action")
        if self.days:
            return _("%(action)s %(days)d d") % {"action": label, "days": self.days}
        return str(label)


def penalty_suggest(appeal: Appeal, responsible_party: str) -> list[tuple[str, Penalty]]:
    """The action the matrix suggests for each responsible trader; a trader with an
    earlier account action gets the repeat-offence action."""
    rule = PenaltyRule.objects.filter(reason=appeal.reason).first()
    if rule is None:
        return []
    suggestions = []
    for side in Verdict.responsible_sides(responsible_party):
        trader = appeal.order.party(side)
        repeat = AccountAction.objects.filter(trader=trader).exists()
        kind, days = (
            (rule.repeat_action, rule.repeat_days)
            if repeat
            else (rule.first_action, rule.first_days)
        )
        suggestions.append((side, Penalty(kind=kind, days=days, repeat=repeat, note=rule.note)))
    return suggestions


# How hard each action bites, for choosing between two suggestions.
SEVERITY = {
    "": 0,
    AccountAction.Kind.WARNING: 1,
    AccountAction.Kind.P2P_RESTRICTION: 2,
    AccountAction.Kind.FREEZE: 3,
}


def most_severe(penalties: list[Penalty]) -> Penalty:
    """One action applies to both parties ("both" responsible): the harsher suggestion,
    and of two restrictions the longer."""
    return max(penalties, key=lambda p: (SEVERITY.get(p.kind, 0), p.days or 0))
