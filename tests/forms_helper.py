"""Read a page's form the way a browser would submit it, so view tests post what users post."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._textarea = None
        self._select = None
        self._in_template = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if tag == "template":
            self._in_template += 1
        if not self.inside or self._in_template:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields.append((self._select, attrs.get("value", "")))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "template":
            self._in_template -= 1
        if tag == "textarea" and self._textarea is not None:
            value = self._textarea[1]
            self.fields.append((self._textarea[0], value[1:] if value.startswith("\n") else value))
            self._textarea = None
        if tag == "select":
            self._select = None
        if tag == "form" and self.inside:
            self.inside = False


def read_form(html: str, form_id: str = "section-form") -> dict:
    """The form's successful controls as a dict (lists where a name repeats)."""
    reader = _FormReader(form_id)
    reader.feed(html)
    data: dict = {}
    for name, value in reader.fields:
        if name in data:
            data[name] = data[name] if isinstance(data[name], list) else [data[name]]
            data[name].append(value)
        else:
            data[name] = value
    return data


def admin_add_reviewer(staff, assessment, user, kind: str = "expert"):
    """Post the admin's assessment page with one more row in its reviewers inline, as staff would
    fill it in; returns the response (302 when the seat was taken, 200 with the errors when not)."""
    from django.urls import reverse

    url = reverse("admin:assessments_assessment_change", args=[assessment.pk])
    form = read_form(staff.get(url).content.decode(), "assessment_form")
    prefix = next(k for k in form if k.endswith("-TOTAL_FORMS") and "reviewer" in k).removesuffix("-TOTAL_FORMS")
    index = int(form[f"{prefix}-TOTAL_FORMS"])
    form.update({f"{prefix}-TOTAL_FORMS": str(index + 1), f"{prefix}-{index}-user": str(user.pk),
                 f"{prefix}-{index}-kind": kind, f"{prefix}-{index}-assessment": str(assessment.pk)})
    return staff.post(url, form)
