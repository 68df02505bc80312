"""The wizard's fields written out by ``form_field`` (assessments/templatetags/form_fields.py) give the
markup crispy-forms gives them: field by field, in every state the fast path takes, and on whole
section pages; the cases it leaves to crispy-forms (errors here) come out as crispy-forms makes them."""

import re

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.forms import formset_factory
from django.urls import reverse

from assessments.demo import create_demo_assessment
from assessments.forms import EvidenceForm
from assessments.templatetags import form_fields

Evidence = formset_factory(EvidenceForm, extra=1, can_delete=True)
HOSTILE = '"><script>alert(1)</script>&amp; 「引用」'


def normalised(html) -> str:
    """Whitespace between tags and around text made irrelevant (as the browser lays it out), except
    inside a textarea, whose content is its value (a browser drops only one newline right after
    the opening tag, which Django's widget writes to keep a value's own first newline)."""
    parts = re.split(r"(<textarea[^>]*>.*?</textarea>)", str(html), flags=re.S)
    for i, part in enumerate(parts):
        if i % 2:
            opening, rest = part.split(">", 1)
            parts[i] = re.sub(r"\s+", " ", opening).replace(" >", ">") + ">" + rest
        else:
            parts[i] = re.sub(r"\s*(<|>)\s*", r"\1", re.sub(r"\s+", " ", part))
    return "".join(parts).strip()


def both(make_field):
    """(form_field's markup, crispy-forms' markup) of the same field of two identical forms."""
    return form_fields.form_field(make_field()), as_crispy_field(make_field())


def evidence_form(data=None):
    formset = Evidence(data, prefix="ev-q1") if data is not None else Evidence(prefix="ev-q1")
    formset.is_valid() if data is not None else None
    return formset.forms[0]


FILLED = {"ev-q1-TOTAL_FORMS": "1", "ev-q1-INITIAL_FORMS": "0", "ev-q1-0-title": HOSTILE,
          "ev-q1-0-url": "https://example.jp/?a=1&b=<2>", "ev-q1-0-page": "12", "ev-q1-0-date": "2026-04-01",
          "ev-q1-0-note": f"一行目\n{HOSTILE}", "ev-q1-0-DELETE": "on"}


@pytest.mark.parametrize("name", ["title", "url", "page", "date", "note", "DELETE"])
@pytest.mark.parametrize("data", [None, FILLED], ids=["empty", "filled"])
def test_each_source_field_is_marked_up_as_crispy_forms_does(name, data):
    fast, crispy = both(lambda: evidence_form(data)[name])
    assert form_fields._plain(evidence_form(data)[name])  # the fast path, not the fallback
    assert normalised(fast) == normalised(crispy)
    assert "<script>" not in str(fast)  # what was typed is escaped


def test_a_field_with_an_error_is_left_to_crispy_forms():
    data = {**FILLED, "ev-q1-0-title": "", "ev-q1-0-date": "令和8年"}
    field = evidence_form(data)["date"]
    assert field.errors and not form_fields._plain(field)
    fast, crispy = both(lambda: evidence_form(data)["date"])
    assert str(fast) == str(crispy)
    assert 'class="dateinput form-control is-invalid"' in str(fast) and "invalid-feedback" in str(fast)


class ChoicesForm(forms.Form):
    one = forms.ChoiceField(choices=[("a", HOSTILE), (HOSTILE, "二"), ("c", "三")], required=False,
                            widget=forms.RadioSelect(attrs={"class": "form-check-input", "data-autosave": "1"}))
    many = forms.MultipleChoiceField(choices=[("a", "一"), (HOSTILE, HOSTILE), ("c", "三")], required=False,
                                     widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    text = forms.CharField(required=False, widget=forms.TextInput(attrs={"inputmode": "decimal", "aria-labelledby": "x"}))
    long = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}))
    number = forms.IntegerField(required=False)
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)


CHOSEN = {"one": HOSTILE, "many": ["a", HOSTILE], "text": HOSTILE, "long": f"\n{HOSTILE}\n二行目", "number": "12",
          "hidden": HOSTILE}


@pytest.mark.parametrize("data", [None, CHOSEN, {"number": "x"}], ids=["unbound", "chosen", "refused"])
def test_each_option_and_widget_is_written_as_django_writes_it(data):
    form = ChoicesForm(data) if data is not None else ChoicesForm(initial={"one": "c", "many": ["c"], "long": "初期"})
    form.is_valid() if data is not None else None
    written = 0
    for name in ("one", "many"):
        for option in form[name]:
            fast, django = form_fields.option_input(option), option.tag()
            assert str(fast) == str(django), (name, option.data["value"])
            written += 1
    for name in ("text", "long", "number", "hidden"):
        assert str(form_fields.widget_html(form[name])) == str(form[name]), name
    assert written == 6
    rendered = "".join(str(form_fields.option_input(option)) for option in form["one"])
    assert "<script>" not in rendered and (data is not CHOSEN or rendered.count(" checked") == 1)


def test_a_localized_field_is_left_to_django():
    class Localized(forms.Form):
        amount = forms.DecimalField(localize=True, widget=forms.TextInput)

    field = Localized(initial={"amount": "1234.5"})["amount"]
    assert str(form_fields.widget_html(field)) == str(field)


@pytest.mark.parametrize("data", [None, {"f-TOTAL_FORMS": "2", "f-INITIAL_FORMS": "1", "f-MIN_NUM_FORMS": "0",
                                         "f-MAX_NUM_FORMS": "1000"}, {"f-TOTAL_FORMS": "x"}],
                         ids=["unbound", "bound", "broken"])
def test_a_management_form_is_written_as_django_writes_it(data):
    formset = Evidence(data, prefix="f") if data is not None else Evidence(prefix="f")
    management = formset.management_form
    assert str(form_fields.hidden_inputs(management)) == str(management)
    if data is None:
        assert str(form_fields.hidden_inputs(management)).count('type="hidden"') == 4


def _section_pages(client, assessment):
    pages = {}
    for section in assessment.question_set.sections.all():
        response = client.get(reverse("assessment_section", args=[assessment.pk, section.key]))
        assert response.status_code == 200
        pages[section.key] = response.content.decode()
    return pages


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.mark.django_db
def test_whole_section_pages_are_the_same_as_with_django_and_crispy_forms_alone(client, catalogue, published_set, monkeypatch):
    demo = create_demo_assessment()
    client.force_login(demo.owner)
    fast = _section_pages(client, demo)
    assert sum(page.count('class="form-check-label"') for page in fast.values()) > 10  # source rows are there
    monkeypatch.setattr(form_fields, "_plain", lambda field: False)
    monkeypatch.setattr(form_fields, "_written_out", lambda widget, kinds: False)
    crispy = _section_pages(client, demo)
    assert fast.keys() == crispy.keys()
    for key in fast:
        assert normalised(_without_tokens(fast[key])) == normalised(_without_tokens(crispy[key])), key


def test_what_the_fast_paths_do_not_know_is_left_to_django():
    """A hidden initial value beside the widget, a widget or form with templates of its own, a form
    with another renderer: each is rendered by Django itself, so the markup stays Django's."""
    from django.forms.renderers import DjangoTemplates

    class Other(DjangoTemplates):
        pass

    class Shapes(forms.Form):
        initial = forms.CharField(required=False, show_hidden_initial=True)
        own = forms.CharField(required=False, widget=forms.TextInput)
        one = forms.ChoiceField(choices=[("a", "一")], required=False, widget=forms.RadioSelect)

    form = Shapes(initial={"initial": "前", "own": "x"})
    form.fields["own"].widget.template_name = "django/forms/widgets/textarea.html"
    form.fields["one"].widget.option_template_name = "django/forms/widgets/select_option.html"
    assert 'name="initial-initial"' in str(form_fields.widget_html(form["initial"]))
    assert str(form_fields.widget_html(form["own"])) == str(form["own"]) and "<textarea" in str(form["own"])
    assert not form_fields._plain(form["initial"]) and not form_fields._plain(form["own"])
    option = next(iter(form["one"]))
    assert str(form_fields.option_input(option)) == str(option.tag()) and "<option" in str(option.tag())

    from django.forms.formsets import ManagementForm

    assert form_fields._plain(EvidenceForm()["title"]) and not form_fields._plain(EvidenceForm(renderer=Other())["title"])
    other = ManagementForm(prefix="f", initial={"TOTAL_FORMS": 1, "INITIAL_FORMS": 0}, renderer=Other())
    assert not form_fields._plain_widget(other["TOTAL_FORMS"], (forms.HiddenInput,))
    assert str(form_fields.hidden_inputs(other)) == str(other)
    class InParagraphs(ManagementForm):
        template_name = "django/forms/p.html"

    management = InParagraphs(prefix="g", initial={"TOTAL_FORMS": 1, "INITIAL_FORMS": 0})
    written = []
    real_widget = form_fields._widget
    form_fields._widget = lambda field: written.append(field) or real_widget(field)
    try:
        assert str(form_fields.hidden_inputs(management)) == str(management)
        assert written == []  # Django's p.html wrote it (the same markup for hidden fields alone)
        form_fields.hidden_inputs(Evidence(prefix="h").management_form)
        assert len(written) == 4  # the spy sees the fast path when it is taken
    finally:
        form_fields._widget = real_widget
