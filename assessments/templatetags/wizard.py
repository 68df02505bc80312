"""Template helpers for the assessment pages."""

from django import template

from assessments.answer_values import display_value, range_warning
from assessments.forms import answer_name, mark_name, note_name, part_token_name, parts_of

register = template.Library()


def _bound_field(form, name):
    return form[name] if name in form.fields else None


@register.filter
def answer_field(form, question):
    """The main answer's field (None for evidence and inventory questions)."""
    return _bound_field(form, answer_name(question))


@register.filter
def note_field(form, question):
    return form[note_name(question)]


@register.filter
def hidden_initial(bound_field):
    """The hidden copy of the initial value, so the server can tell what the user changed."""
    return bound_field.as_hidden(only_initial=True)


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def answer_text(answer):
    """A stored answer as text (answer_values.display_value): choices from its snapshot (labels as
    they were when saved), 不明 for a mark, 「12,000千円」 for a number."""
    if answer is None:
        return ""
    return display_value(answer.value, answer.snapshot)


@register.filter
def value_text(value, snapshot):
    """A value kept without its own snapshot (an answer history state) as text, read with the
    question's ``snapshot`` (answer_values.display_snapshot)."""
    return display_value(value, snapshot)


@register.filter
def join_if_list(value):
    return "、".join(map(str, value)) if isinstance(value, list) else value


@register.filter
def mark_field(form, question):
    """The 不明・未開示・該当なし radios of a question without choices (None for choice questions)."""
    return _bound_field(form, mark_name(question))


@register.filter
def part_tokens(page, question):
    """(input name, token) of every part of the question: the versions the page shows."""
    return [(part_token_name(question, part), page.tokens[(question.key, part)]) for part in parts_of(question)]


@register.filter
def stored_warning(workspace, question):
    """「値を確認してください」 for a stored number outside the question's plausible range."""
    answer = workspace.answers.get(question.key)
    return range_warning(question, answer.value) if answer is not None else ""


@register.filter
def answer_input(field, question):
    """Prepare a question's main answer for dxpia/templates/assessments/_answer_field.html: Bootstrap's
    classes, the question's legend as the text box's name, its help and errors as its description,
    and is-invalid / aria-invalid after a refused save. Returns what the template needs to know."""
    attrs = field.field.widget.attrs
    invalid = bool(field.errors)
    is_choice = question.is_choice
    attrs["class"] = ("form-check-input" if is_choice else "form-control") + (" is-invalid" if invalid else "")
    if invalid:
        attrs["aria-invalid"] = "true"
    if not is_choice:
        attrs["aria-labelledby"] = f"label-{question.key}"
        described = ([f"help-{question.key}"] if field.help_text else []) + [
            f"error-{question.key}-{n}" for n in range(1, len(field.errors) + 1)
        ]
        if described:
            attrs["aria-describedby"] = " ".join(described)
    return {"is_choice": is_choice}


@register.filter
def question_description(field, question) -> str:
    """The ids that describe a question's fieldset: its guidance, and for choices (no text box to hang
    them on) the errors of a refused save (dxpia/templates/assessments/_answer_field.html prints them)."""
    ids = [f"guide-{question.key}"] if question.guidance else []
    if field is not None and question.is_choice:
        ids += [f"error-{question.key}-{n}" for n in range(1, len(field.errors) + 1)]
    return " ".join(ids)
