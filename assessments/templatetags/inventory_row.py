"""``{% inventory_row form number %}``: one item of the data inventory on the section page, a table row
on wide screens and a card on narrow ones (static/css/inventory.css).

Written in Python rather than as an included template: the page repeats the row for every item (up
to 500) and once more as the empty row that wizard.js copies, and as a template the rows and the
widget templates of their selects cost three times the rest of the page (bench/request_cpu.py). The
markup is what wizard.js and static/css/inventory.css expect:

- every control is named by its row: its label holds the column's name and, hidden, the item's name
  in ``.dx-rowname`` (「n行目」 while it has none; wizard.js keeps it in step as the name is typed);
- a refused value keeps the input, marked ``is-invalid`` and ``aria-invalid``, with its message in
  ``<div id="…-error">`` that the control's ``aria-describedby`` names;
- a row that is 要配慮個人情報 without a stated necessity or legal basis is marked ⚠ (the same rule
  as InventoryRow.problems, applied to what the page shows).
"""

from django import forms, template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from assessments.models import InventoryRow
from assessments.templatetags.dxpia import lang_ja_attribute, wrapped

register = template.Library()


def _value(field: forms.BoundField) -> str:
    value = field.value()
    return "" if value is None else str(value)


def row_flagged(form: forms.Form) -> bool:
    """InventoryRow.lacks_basis of what the page shows: stored values, or the input after a refused save."""
    return InventoryRow.lacks_basis(*(_value(form[name]) for name in ("sensitive", "necessity", "legal_basis")))


# The cells are written with f-strings, every value through conditional_escape (format_html per piece
# took half of the rows' time): the page has twelve cells a row and up to 500 rows. What is the same
# in every row (a select's options, a column's name) is escaped once per page (_Page).
esc = conditional_escape


class _Page:
    """What every row of one page writes alike, escaped once for the page: each select's options
    (with none selected), each column's name and the ⚠ text."""

    def __init__(self):
        self._options: dict[str, str] = {}
        self._columns: dict[str, str] = {}
        self.flag_text = esc(_("要配慮個人情報: 必要な理由か法的根拠が空です"))

    def options(self, field: forms.BoundField) -> str:
        if field.name not in self._options:
            self._options[field.name] = "".join(
                f'<option value="{esc(choice)}">{esc(label)}</option>' for choice, label in field.field.choices)
        return self._options[field.name]

    def column(self, field: forms.BoundField) -> str:
        if field.name not in self._columns:
            self._columns[field.name] = esc(field.label)
        return self._columns[field.name]


def _control(field: forms.BoundField, id_: str, page: _Page) -> str:
    """The field's control, ``id_`` its id (escaped); a refused value is marked and names its message."""
    widget = field.field.widget
    invalid = f' aria-invalid="true" aria-describedby="{id_}-error"' if field.errors else ""
    invalid_class = " is-invalid" if invalid else ""
    name, value = esc(field.html_name), _value(field)
    if isinstance(widget, forms.Textarea):
        return (f'<textarea name="{name}" id="{id_}" rows="3" class="form-control form-control-sm{invalid_class}"'
                f'{invalid}>{esc(value)}</textarea>')
    if isinstance(widget, forms.Select):
        # The stored value's option selected (escaping is one-to-one, so the escaped value finds it);
        # a value the field does not offer selects none, as Django's widget does.
        value_attribute = f'<option value="{esc(value)}">'
        options = page.options(field).replace(value_attribute, value_attribute[:-1] + " selected>", 1)
        return f'<select name="{name}" id="{id_}" class="form-select form-select-sm{invalid_class}"{invalid}>{options}</select>'
    return (f'<input type="text" name="{name}" id="{id_}" value="{esc(value)}" '
            f'class="form-control form-control-sm{invalid_class}"{invalid}>')


def _cell(field: forms.BoundField, in_row: str, flagged: bool, page: _Page) -> str:
    """The cell of one field; ``in_row``: the row's name in brackets (escaped), for the field's label."""
    id_ = esc(field.id_for_label)
    parts = [
        f'<label class="dx-field-label" for="{id_}"><span class="dx-col">{page.column(field)}</span>'
        f'<span class="visually-hidden">{in_row}</span></label>',
        _control(field, id_, page),
    ]
    if field.errors:
        messages = " ".join(esc(error) for error in field.errors)
        parts.append(f'<div class="invalid-feedback d-block" id="{id_}-error">{messages}</div>')
    if field.name == "data_item":
        parts.append(
            f'<p class="dx-row-flag small mb-0 mt-1"{"" if flagged else " hidden"}><span aria-hidden="true">⚠</span> '
            f'{page.flag_text}</p>'
        )
    return f'<td class="dx-cell dx-cell-{esc(field.name)}">\n    ' + "\n    ".join(parts) + "\n  </td>"


@register.simple_tag(takes_context=True)
def inventory_row(context, form: forms.Form, number) -> SafeString:
    """The row of ``form`` (an InventoryFormSet form), numbered ``number`` (「__number__」 in the empty
    row that wizard.js copies)."""
    page = context.render_context.get("inventory_row_page")
    if page is None:  # the first row of this page
        page = context.render_context["inventory_row_page"] = _Page()
    flagged = row_flagged(form)
    name = _value(form["data_item"])
    rowname = (
        format_html('<span{} class="dx-rowname">{}</span>', lang_ja_attribute(), name) if name
        else format_html('<span class="dx-rowname">{}</span>', _("%(number)s行目") % {"number": number})
    )
    in_row = esc(wrapped("paren", rowname))
    cells = mark_safe("\n  ".join(
        _cell(field, in_row, flagged, page) for field in form.visible_fields() if field.name != "DELETE"
    ))
    delete = form["DELETE"]
    return format_html(
        '<tr class="dx-inventory-row{}">\n  <td class="dx-row-number" aria-hidden="true">{}</td>\n  {}\n'
        '  <td class="dx-cell dx-cell-actions">\n'
        '    <span class="form-check mb-0"><input type="checkbox" name="{}" id="{}" class="form-check-input" data-delete{}>\n'
        '    <label class="form-check-label" for="{}">{}<span class="visually-hidden">: {}</span></label></span>\n'
        '    <p class="dx-pending-delete small mb-0" data-saved-text="{}">{}</p>\n'
        '  </td>\n</tr>',
        " dx-flagged" if flagged else "", number, cells,
        delete.html_name, delete.id_for_label, mark_safe(" checked") if delete.value() else "",
        delete.id_for_label, _("削除"), rowname,
        _("削除しました（「元に戻す」で戻せます。開き直すと一覧から消えます）"), _("削除予定（保存すると一覧から消えます）"),
    )
