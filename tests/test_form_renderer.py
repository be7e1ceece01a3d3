"""arbitration.form_renderer builds the plain widgets in Python: byte for byte what
Django's own widget templates write, hostile values escaped the same way."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from arbitration.form_renderer import BUILDERS, FormRenderer

HOSTILE = "<script>alert('x')</script> & \"quoted\""


class Everything(forms.Form):
    text = forms.CharField(max_length=20, widget=forms.TextInput(attrs={"data-x": HOSTILE}))
    number = forms.IntegerField(min_value=1)
    email = forms.EmailField(required=False)
    hidden = forms.CharField(widget=forms.HiddenInput)
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    flag = forms.BooleanField(required=False)
    pick = forms.ChoiceField(choices=[("", "—"), ("a", "A & B"), ("<b>", HOSTILE)])
    grouped = forms.ChoiceField(
        choices=[("", "—"), ("Usual", [("r1", "Rule 1"), ("r2", "Rule <2>")]), ("x", "X")]
    )
    many = forms.MultipleChoiceField(
        choices=[("1", "One"), ("2", HOSTILE)], widget=forms.CheckboxSelectMultiple
    )
    radio = forms.ChoiceField(choices=[("1", "One"), ("2", "Two")], widget=forms.RadioSelect)
    text_area = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    safe_label = forms.ChoiceField(choices=[("s", mark_safe("<em>safe</em>"))])
    several = forms.MultipleChoiceField(choices=[("1", "One"), ("2", "Two")], required=False)
    empty_area = forms.CharField(widget=forms.Textarea, required=False)
    upload = forms.FileField(required=False)


DATA = {
    "text": HOSTILE,
    "number": "7",
    "hidden": HOSTILE,
    "password": "p'w\"d",
    "date": "2026-12-04",
    "flag": "on",
    "pick": "<b>",
    "grouped": "r2",
    "many": ["1", "2"],
    "radio": "2",
    "text_area": HOSTILE + "\nline two",
    "safe_label": "s",
    "several": ["2"],
}


def rendered(form: forms.Form, renderer) -> list[str]:
    form.renderer = renderer
    out = []
    for bound in form:
        out.append(str(bound))
        for sub in bound.subwidgets:  # the queue's status boxes: {{ box.tag }}
            out.append(sub.tag())
            out.append(sub.tag(wrap_label=True))
    return out


@pytest.mark.parametrize("data", [None, DATA, {"text": "", "number": "x"}])
def test_the_fast_widgets_write_what_djangos_templates_write(data):
    stock = rendered(Everything(data), DjangoTemplates())
    fast = rendered(Everything(data), FormRenderer())
    assert fast == stock
    assert HOSTILE not in "".join(fast)


def test_every_builder_is_used_by_the_forms_here():
    """Each builder stands for a stock template; none is dead."""
    seen: set[str] = set()
    original = FormRenderer.render

    def spy(self, template_name, context, request=None):
        seen.add(template_name)
        return original(self, template_name, context, request)

    FormRenderer.render = spy
    try:
        rendered(Everything(DATA), FormRenderer())
    finally:
        FormRenderer.render = original
    assert {"django/forms/widgets/text.html", "django/forms/widgets/select.html"} <= seen
    assert seen & set(BUILDERS)


def test_the_project_uses_it(settings):
    from django.forms.renderers import get_default_renderer

    assert settings.FORM_RENDERER == "arbitration.form_renderer.FormRenderer"
    get_default_renderer.cache_clear()
    assert isinstance(get_default_renderer(), FormRenderer)
