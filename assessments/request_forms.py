"""Forms of the request pages (assessments.views.requests); the services in
assessments.municipality_requests do the work."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments import answer_values
from assessments.forms import _TextField
from assessments.models import MunicipalityRequest, RequestEvent

State = MunicipalityRequest.State
DOCUMENT_ROWS = 3


class DateText(forms.CharField):
    """A date typed as 2027-01-31 or 令和9年1月31日 (answer_values.clean_date); None when empty."""

    def __init__(self, *, not_future=False, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", _("例: 2027-01-31、令和9年1月31日"))
        self.not_future = not_future
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        iso = answer_values.clean_date(text)
        if iso is None:
            return None
        day = datetime.date.fromisoformat(iso)
        if self.not_future and day > timezone.localdate():
            raise ValidationError(_("今日までの日付にしてください。"))
        return day


class RequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("種類"), choices=MunicipalityRequest.Kind.choices)
    title = _TextField(label=_("件名"), max_length=200)
    addressed_to = forms.ChoiceField(label=_("あて先"), choices=MunicipalityRequest.AddressedTo.choices)
    sent_on = DateText(label=_("送付日・提出日"), required=False, not_future=True,
                       help_text=_("空欄なら「準備中」として記録します。例: 2027-01-31、令和9年1月31日"))
    method = forms.ChoiceField(label=_("方法"), choices=MunicipalityRequest.Method.choices)
    reference = _TextField(label=_("受付番号・文書番号"), max_length=100, required=False)
    received_on = DateText(label=_("自治体の受付日"), required=False, not_future=True,
                           help_text=_("送付日と違うとき（郵送など）。情報公開請求・個人情報開示請求の期限はこの日から数えます。"))
    reply_by = DateText(label=_("回答の期限（質問書に書いた日）"), required=False)
    published = forms.BooleanField(label=_("この記録を公開ページに載せる"), required=False,
                                   help_text=_("評価を公開したとき、公開ページに載せるかどうか。"))
    note = _TextField(label=_("メモ"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, initial=0)

    def clean_title(self):
        return " ".join(answer_values.clean_text(self.cleaned_data["title"], max_length=200).split())

    def clean_reference(self):
        return " ".join(answer_values.clean_text(self.cleaned_data.get("reference", ""), max_length=100).split())

    def clean_note(self):
        return answer_values.clean_text(self.cleaned_data.get("note", ""), max_length=5000)

    def clean(self):
        cleaned = super().clean()
        sent, received = cleaned.get("sent_on"), cleaned.get("received_on")
        if sent and received and received < sent:
            self.add_error("received_on", _("受付日は送付日以後の日にしてください。"))
        if received and not sent:
            self.add_error("sent_on", _("受付日を書くときは送付日も書いてください。"))
        reply_by = cleaned.get("reply_by")
        if reply_by and sent and reply_by <= sent:
            # A deadline on or before the day the letter went out cannot be the one it asked for
            # (a typo: the request would be overdue from the day it is recorded).
            self.add_error("reply_by", _("回答の期限は、送付日より後の日にしてください。"))
        return cleaned


class TransitionForm(forms.Form):
    kind = forms.ChoiceField(label=_("新しい状態"), choices=RequestEvent.Kind.choices)
    on = DateText(label=_("日付"), not_future=True)
    extended_due_on = DateText(label=_("延長後の期限"), required=False,
                               help_text=_("期限延長のとき、通知書に書かれた日。空欄なら条例の延長日数で数えます。"))
    note = _TextField(label=_("メモ"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if choices is not None:
            self.fields["kind"].choices = choices

    def clean_note(self):
        return answer_values.clean_text(self.cleaned_data.get("note", ""), max_length=5000)


class ReplyForm(forms.Form):
    received_on = DateText(label=_("受け取った日"), not_future=True)
    text = _TextField(label=_("回答の内容（要旨）"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    items = forms.TypedMultipleChoiceField(label=_("回答があった項目"), required=False, coerce=int,
                                           widget=forms.CheckboxSelectMultiple)
    state = forms.ChoiceField(label=_("請求の状態"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, request_obj=None, state_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        from assessments.templatetags.dxpia import lang_ja_filter  # what was asked: Japanese on any page

        self.fields["items"].choices = [
            (item.pk, lang_ja_filter(item.text[:120])) for item in request_obj.items.all()] if request_obj else []
        self.fields["state"].choices = [("", _("変えない"))] + list(state_choices)
        for i in range(DOCUMENT_ROWS):
            self.fields[f"doc-{i}-title"] = _TextField(label=_("受け取った文書%(n)s: 資料名") % {"n": i + 1}, required=False, max_length=300)
            self.fields[f"doc-{i}-page"] = _TextField(label=_("ページ"), required=False, max_length=50)
            self.fields[f"doc-{i}-date"] = DateText(label=_("文書の日付"), required=False, help_text="")
            self.fields[f"doc-{i}-url"] = _TextField(label=_("URL（表示するだけで、開きません）"), required=False, max_length=2000)

    def clean_text(self):
        return answer_values.clean_text(self.cleaned_data.get("text", ""), max_length=20000)

    def clean(self):
        cleaned = super().clean()
        for i in range(DOCUMENT_ROWS):
            title = answer_values.clean_text(cleaned.get(f"doc-{i}-title", ""), max_length=300).strip()
            cleaned[f"doc-{i}-title"] = title
            others = [cleaned.get(f"doc-{i}-{name}") for name in ("page", "date", "url")]
            if not title and any(others):
                self.add_error(f"doc-{i}-title", _("資料名を書いてください。"))
        return cleaned

    def documents(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {"title": data[f"doc-{i}-title"], "page": answer_values.clean_text(data.get(f"doc-{i}-page", ""), max_length=50).strip(),
             "date": data.get(f"doc-{i}-date"), "url": answer_values.clean_text(data.get(f"doc-{i}-url", ""), max_length=2000).strip()}
            for i in range(DOCUMENT_ROWS) if data.get(f"doc-{i}-title")
        ]
