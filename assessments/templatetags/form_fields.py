"""The wizard's form markup written out directly instead of through Django's and crispy-forms'
templates, for the shapes the section page repeats:

- ``form_field``: a field in Bootstrap 5 markup, as crispy-forms' ``as_crispy_field`` renders it,
  for the plain fields of every question (a source row's six fields, the note);
- ``widget_html``: ``{{ field }}`` (the widget alone) of a text, number, date or hidden field;
- ``option_input``: ``{{ option.tag }}`` (one radio button or checkbox of a choice, without its
  label);
- ``hidden_inputs``: ``{{ form }}`` of a form of hidden fields only (a formset's management form).

The wizard's section page renders a few hundred of these; the templates, with their includes and
filters, took most of the page's time (profiled with cProfile). Here the few shapes are written out,
producing the same markup (tests/test_form_fields.py compares them, field by field and on whole
section pages with every fast path turned off). Anything else — a field with errors, help text, a
required mark, extra CSS classes, a widget class not listed here — goes to Django or crispy-forms
itself, so the fast path never has to know their rarer cases.
"""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms, template
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, mark_safe

register = template.Library()

# The widgets written out here, by exact class (a subclass may render differently).
TEXT_WIDGETS = (forms.TextInput, forms.DateInput, forms.Textarea)


def _plain(field: forms.BoundField) -> bool:
    """The field has none of the cases left to crispy-forms."""
    widget = field.field.widget
    return (
        type(widget) in (*TEXT_WIDGETS, forms.CheckboxInput)
        and _own_templates(widget)
        and _default_renderer(field.form)
        and not field.is_hidden
        and not field.errors
        and not field.help_text
        and not field.field.required
        and bool(field.label)
        and not field.css_classes()
        and not field.field.localize
        and not field.field.show_hidden_initial
    )


def _text(value) -> str:
    """A value as ``{{ value|stringformat:'s' }}`` prints it (escaped unless already safe)."""
    return conditional_escape(value) if isinstance(value, SafeData) else conditional_escape(str(value))


# Widgets whose template is Django's input.html (through text.html, number.html …) or textarea.html,
# by exact class (a subclass may have a template of its own).
INPUT_WIDGETS = (forms.TextInput, forms.NumberInput, forms.DateInput, forms.HiddenInput, forms.CheckboxInput,
                 forms.Textarea)
# Choice widgets whose options are Django's input_option.html (an <input> when not wrapped in its label).
OPTION_WIDGETS = (forms.RadioSelect, forms.CheckboxSelectMultiple)


def _written_out(widget: forms.Widget, kinds: tuple) -> bool:
    """``widget`` is one of ``kinds`` (by exact class) with its class's own templates, whose markup
    is written here (tests turn this off to compare with Django's own)."""
    return type(widget) in kinds and _own_templates(widget)


def _own_templates(widget: forms.Widget) -> bool:
    """``widget`` renders with its class's templates (none set on the instance)."""
    kind = type(widget)
    return (widget.template_name == kind.template_name
            and getattr(widget, "option_template_name", None) == getattr(kind, "option_template_name", None))


def _default_renderer(form: forms.BaseForm) -> bool:
    """The form renders with Django's own templates (no renderer of the project's or the form's)."""
    return type(form.renderer) is DjangoTemplates


def _plain_widget(field: forms.BoundField, kinds: tuple) -> bool:
    """``field``'s widget alone is written here: one of ``kinds``, Django's templates, and nothing
    that ``str(field)`` adds beside the widget (a hidden initial value) or formats otherwise (localize)."""
    return (_written_out(field.field.widget, kinds) and _default_renderer(field.form)
            and not field.field.localize and not field.field.show_hidden_initial)


def _input_html(context: dict, textarea: bool = False) -> str:
    """What Django's input.html (or textarea.html) makes of a widget's template context ``widget``:
    the same attributes in the same order, each escaped as the template escapes it."""
    written = "".join(
        "" if value is False else f" {conditional_escape(name)}" if value is True
        else f' {conditional_escape(name)}="{_text(value)}"'
        for name, value in context["attrs"].items()
    )
    name = conditional_escape(context["name"])
    if textarea:
        value = conditional_escape(context["value"]) if context["value"] else ""
        return mark_safe(f'<textarea name="{name}"{written}>\n{value}</textarea>')
    value = "" if context["value"] is None else f' value="{_text(context["value"])}"'
    return mark_safe(f'<input type="{conditional_escape(context["type"])}" name="{name}"{value}{written}>')


def _widget(field: forms.BoundField) -> str:
    """What ``str(field)`` (BoundField.as_widget and the widget's template) gives, for INPUT_WIDGETS."""
    widget = field.field.widget
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    return _input_html(context, textarea=type(widget) is forms.Textarea)


@register.filter
def widget_html(field: forms.BoundField):
    """``{{ field }}``: the field's widget alone."""
    if not _plain_widget(field, INPUT_WIDGETS):
        return str(field)
    return _widget(field)


@register.filter
def option_input(option):
    """``{{ option.tag }}`` of one option of a choice field (a BoundWidget): its radio button or
    checkbox without the label, which the wizard's templates write themselves."""
    if not _written_out(option.parent_widget, OPTION_WIDGETS) or type(option.renderer) is not DjangoTemplates:
        return option.tag()
    return _input_html(option.data)


@register.filter
def hidden_inputs(form: forms.Form):
    """``{{ form }}`` of a form whose fields are all hidden (a formset's management form): their
    inputs one after another, as Django's div.html writes them when there is nothing else. A form
    with errors, or with a field that is not hidden, is Django's to render."""
    fields = [form[name] for name in form.fields]
    if (form.errors or not _default_renderer(form) or form.template_name != "django/forms/div.html"
            or not all(_plain_widget(field, (forms.HiddenInput,)) for field in fields)):
        return str(form)
    return mark_safe("".join(_widget(field) for field in fields))


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
