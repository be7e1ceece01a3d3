"""The form renderer (settings.FORM_RENDERER): Django's stock widget templates, with the
plain ones built in Python.

Django renders each widget, and each <option> of a select, through the template engine:
the queue's filter form and the case page's forms were a fifth of those pages' time. The
builders below write exactly what Django's own templates do (django/forms/templates/
django/forms/widgets: input, select and its options, textarea, a checkbox or radio
option); any other template, or one a project overrides, is rendered by the engine as
before. tests/test_form_renderer.py compares both outputs widget by widget.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, escape

WIDGETS = "django/forms/widgets/"


def _attrs(attrs: dict[str, Any]) -> str:
    # attrs.html: False is left out, True is a bare name, the rest name="value".
    return "".join(
        f" {name}" if value is True else f' {name}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = f' value="{escape(str(value))}"' if value is not None else ""
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _option_input(widget: dict[str, Any]) -> str:
    # input_option.html (checkbox_option.html and radio_option.html include it).
    if not widget.get("wrap_label"):
        return _input(widget)
    target = widget["attrs"].get("id")
    label_for = f' for="{conditional_escape(target)}"' if target else ""
    # The included input template ends in a newline.
    return f"<label{label_for}>{_input(widget)}\n {conditional_escape(widget['label'])}</label>"


def _option(option: dict[str, Any]) -> str:
    return (
        f'<option value="{escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
        f"{conditional_escape(option['label'])}</option>"
    )


def _select(widget: dict[str, Any]) -> str:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            if option["template_name"] != WIDGETS + "select_option.html":
                raise _Unknown
            # Each included option template ends in a newline.
            parts.append("\n  " + _option(option) + "\n")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: dict[str, Any]) -> str:
    value = widget["value"]
    text = conditional_escape(value) if value else ""
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{text}</textarea>"
    )


class _Unknown(Exception):
    """A widget this module does not build: the template engine renders it."""


BUILDERS: dict[str, Callable[[dict[str, Any]], str]] = {
    WIDGETS + "input.html": _input,
    WIDGETS + "text.html": _input,
    WIDGETS + "number.html": _input,
    WIDGETS + "email.html": _input,
    WIDGETS + "url.html": _input,
    WIDGETS + "password.html": _input,
    WIDGETS + "hidden.html": _input,
    WIDGETS + "search.html": _input,
    WIDGETS + "date.html": _input,
    WIDGETS + "datetime.html": _input,
    WIDGETS + "time.html": _input,
    WIDGETS + "checkbox.html": _input,
    WIDGETS + "tel.html": _input,
    WIDGETS + "color.html": _input,
    WIDGETS + "input_option.html": _option_input,
    WIDGETS + "checkbox_option.html": _option_input,
    WIDGETS + "radio_option.html": _option_input,
    WIDGETS + "select.html": _select,
    WIDGETS + "textarea.html": _textarea,
}


class FormRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        build = BUILDERS.get(template_name)
        widget = context.get("widget")
        if build is not None and request is None and isinstance(widget, dict):
            try:
                return build(widget)
            except (_Unknown, KeyError):
                pass
        return super().render(template_name, context, request)
