"""``form_field``: a form field in Bootstrap 5 markup, as crispy-forms' ``as_crispy_field`` renders it,
for the plain fields the wizard repeats on every question (a source row's six fields, the note).

The wizard's section page renders about a hundred such fields; crispy-forms' field template, with
its includes and filters, took about half of the page's time (profiled with cProfile). Here the
few shapes those fields have are written out directly, producing the same markup (tests/
test_form_fields.py compares the two, field by field and on whole section pages). Anything else —
a field with errors, help text, a required mark, extra CSS classes, a hidden or any other widget —
goes to crispy-forms itself, so the fast path never has to know its rarer cases.
"""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms, template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, mark_safe

register = template.Library()

# The widgets written out here, by exact class (a subclass may render differently).
TEXT_WIDGETS = (forms.TextInput, forms.DateInput, forms.Textarea)


def _plain(field: forms.BoundField) -> bool:
    """The field has none of the cases left to crispy-forms."""
    return (
        type(field.field.widget) in (*TEXT_WIDGETS, forms.CheckboxInput)
        and not field.is_hidden
        and not field.errors
        and not field.help_text
        and not field.field.required
        and bool(field.label)
        and not field.css_classes()
        and not field.field.localize
    )


def _text(value) -> str:
    """A value as ``{{ value|stringformat:'s' }}`` prints it (escaped unless already safe)."""
    return conditional_escape(value) if isinstance(value, SafeData) else conditional_escape(str(value))


def _widget(field: forms.BoundField) -> str:
    """What ``str(field)`` (BoundField.as_widget and the widget's template) gives, for the widgets
    in _plain: the same attributes in the same order."""
    widget = field.field.widget
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    written = "".join(
        "" if value is False else f" {conditional_escape(name)}" if value is True
        else f' {conditional_escape(name)}="{_text(value)}"'
        for name, value in context["attrs"].items()
    )
    name = conditional_escape(context["name"])
    if type(widget) is forms.Textarea:
        value = conditional_escape(context["value"]) if context["value"] else ""
        return mark_safe(f'<textarea name="{name}"{written}>\n{value}</textarea>')
    value = "" if context["value"] is None else f' value="{_text(context["value"])}"'
    return mark_safe(f'<input type="{conditional_escape(context["type"])}" name="{name}"{value}{written}>')


def _add_class(widget: forms.Widget, extra: str) -> None:
    """What crispy-forms does to the widget before rendering it: its class name, then ``extra``,
    added to the widget's own classes (in place, as crispy-forms does; the form is rendered once)."""
    css = widget.attrs.get("class", "")
    name = type(widget).__name__.lower()
    if css:
        if name not in css:
            css += f" {name}"
    else:
        css = name
    widget.attrs["class"] = css
    for word in extra.split():
        if word not in widget.attrs["class"].split():
            widget.attrs["class"] += f" {word}"


@register.filter
def form_field(field: forms.BoundField):
    if not _plain(field):
        return as_crispy_field(field)
    widget = field.field.widget
    if type(widget) is forms.CheckboxInput:
        _add_class(widget, "form-check-input")
        return format_html(
            '<div class="mb-3"><div id="div_{}" class="form-check">{}'
            '<label for="{}" class="form-check-label">{}</label></div></div>',
            field.auto_id, _widget(field), field.id_for_label, field.label,
        )
    _add_class(widget, "form-control")
    return format_html(
        '<div id="div_{}" class="mb-3"><label for="{}" class="form-label">{}</label>{}</div>',
        field.auto_id, field.id_for_label, field.label, _widget(field),
    )
