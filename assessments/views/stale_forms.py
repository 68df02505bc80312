"""A form refused because its record changed after the page was opened (a newer version saved in
another tab or by another person): the page shows the latest record, keeps the input, and the form
now carries the version it was refused for, so sending it again after reading is a deliberate save
(refused then only for what it says, never again for its age)."""

from django.shortcuts import render
from django.utils.translation import gettext as _


def refuse_stale(form, current, *, has_input=True, base: str | None = None) -> None:
    """``current``: the record as stored now, or None when it was deleted meanwhile. ``has_input``:
    False for a form that only confirms (a deletion), which has no input to keep. ``base``: for a
    form that carries the record's reviewing.stored_base instead of its version, the new one."""
    if current is None:
        form.add_error(None, _("このページを開いた後に、この記録は削除されていました。"))
        return
    if has_input:
        form.add_error(None, _("このページを開いた後に、別のタブまたは別の人がこの記録を変えていました。"
                               "下の最新の内容を確かめてください。入力はそのまま残しています。残すときは、もう一度送ってください。"))
    else:
        form.add_error(None, _("このページを開いた後に、別のタブまたは別の人がこの記録を変えていました。"
                               "最新の内容を確かめてください。それでも削除するときは、もう一度送ってください。"))
    form.data = form.data.copy()
    if base is None:
        form.data[form.add_prefix("version")] = str(current.version)
    else:
        form.data[form.add_prefix("base")] = base


def typed_texts(form, names) -> list[tuple[str, str]]:
    """What was typed into ``form``'s fields ``names`` (label, text), for a page that cannot keep the
    form itself (its record was deleted meanwhile) but must not lose the input (_typed_copy.html)."""
    typed = []
    for name in names:
        value = form.data.get(form.add_prefix(name), "")
        if isinstance(value, str) and value.strip():
            typed.append((str(form.fields[name].label), value))
    return typed


def gone_page(request, *, message: str, form=None, typed_fields=(), back_url: str, back_label: str):
    """The page for a form sent for a record deleted after it was opened (409): the message, what was
    typed into ``typed_fields`` of ``form`` to copy, and the way back."""
    typed = typed_texts(form, typed_fields) if form is not None else []
    return render(request, "record_gone.html", {"message": message, "typed": typed, "back_url": back_url,
                                                "back_label": back_label}, status=409)
