"""Reading rendered case pages in tests."""

from __future__ import annotations

import re

from django.urls import reverse


def case_actions(response) -> set[str]:
    """Where the page's forms post to on this case: one URL per action offered (the
    language switch, log-out and the chat search are not the case's actions)."""
    case_path = reverse("cases:case", args=[response.context["appeal"].pk])
    paths = set()
    for tag in re.findall(r"<form\b[^>]*>", response.content.decode()):
        method = re.search(r'\bmethod="([^"]*)"', tag)
        action = re.search(r'\baction="([^"]*)"', tag)
        if method and method[1].lower() == "post" and action and action[1].startswith(case_path):
            paths.add(action[1])
    return paths
