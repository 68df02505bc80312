"""Template helpers for the assessment pages."""

from django import template

from assessments.forms import answer_name, note_name

register = template.Library()


@register.filter
def answer_field(form, question):
    name = answer_name(question)
    return form[name] if name in form.fields else None


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
    """A stored answer as text, from its snapshot for choices (labels as they were when saved)."""
    if answer is None:
        return ""
    choices = answer.snapshot.get("choices") if answer.snapshot else None
    if choices:
        return "、".join(choice["label"] for choice in choices)
    value = answer.value
    if value in (None, "", []):
        return ""
    unit = answer.snapshot.get("unit", "") if answer.snapshot else ""
    return f"{value}{unit}" if unit else str(value)


@register.filter
def join_if_list(value):
    return "、".join(map(str, value)) if isinstance(value, list) else value
