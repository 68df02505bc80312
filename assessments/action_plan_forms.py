"""Forms of the action-plan pages (assessments.views.action_plan); assessments.action_plan does the work
and applies the rules (見送り needs a reason, 完了 a source), whose messages the views put beside the
fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments import answer_values
from assessments.forms import DataSelect, _TextField
from assessments.models import PlannedAction
from assessments.request_forms import DateText


class ActionForm(forms.Form):
    title = _TextField(label=_("すべきこと"), max_length=200,
                       help_text=_("例: 委託契約書の写しを開示してもらう、説明会を開いてもらう"))
    detail = _TextField(label=_("内容・理由"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    responsible = forms.ChoiceField(label=_("だれが"), choices=PlannedAction.Responsible.choices)
    responsible_name = _TextField(label=_("部署・団体の名前"), required=False, max_length=200,
                                  help_text=_("例: 子育て支援課、委託先の事業者名、評価した団体の担当者"))
    due_on = DateText(label=_("期限"), required=False)
    risk = forms.TypedChoiceField(label=_("対応するリスク"), required=False, coerce=int, empty_value=None,
                                  help_text=_("この対応で小さくしたいリスク（リスクの一覧の番号）。"), widget=DataSelect)
    question = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, initial=0)

    def __init__(self, *args, risks=(), **kwargs):
        """``risks``: (id, 「R1 題名」) of the assessment's register; without any, no risk field."""
        super().__init__(*args, **kwargs)
        if risks:
            self.fields["risk"].choices = [("", _("（なし）")), *[(str(pk), label) for pk, label in risks]]
        else:
            del self.fields["risk"]

    def clean_title(self):
        return " ".join(answer_values.clean_text(self.cleaned_data["title"], max_length=200).split())

    def clean_detail(self):
        return answer_values.clean_text(self.cleaned_data.get("detail", ""), max_length=2000)

    def clean_responsible_name(self):
        return " ".join(answer_values.clean_text(self.cleaned_data.get("responsible_name", ""), max_length=200).split())


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("新しい状態"), choices=PlannedAction.Status.choices)
    note = _TextField(label=_("メモ"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    declined_reason = _TextField(label=_("見送りの理由"), required=False, max_length=1000,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    done_on = DateText(label=_("完了した日"), required=False, not_future=True)
    evidence_title = _TextField(label=_("完了を示す資料の名前"), required=False, max_length=300,
                                help_text=_("例: 町からの回答書、改定された委託契約書、議会の会議録"))
    evidence_url = _TextField(label=_("資料のURL（表示するだけで、開きません）"), required=False, max_length=2000)
    evidence_page = _TextField(label=_("資料のページ"), required=False, max_length=50)
    evidence_date = DateText(label=_("資料の日付"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def clean(self):
        cleaned = super().clean()
        for name, limit in (("note", 1000), ("declined_reason", 1000), ("evidence_title", 300),
                            ("evidence_url", 2000), ("evidence_page", 50)):
            if name in cleaned:
                cleaned[name] = answer_values.clean_text(cleaned[name], max_length=limit).strip()
        return cleaned


class RequireForm(forms.Form):
    required = forms.TypedChoiceField(label=_("承認の条件"), coerce=lambda v: v == "yes",
                                      choices=[("yes", _("承認の条件にする")), ("no", _("承認の条件を外す"))])
    note = _TextField(label=_("理由"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class ReviewDateForm(forms.Form):
    review_on = DateText(label=_("次の見直しの日"), required=False,
                         help_text=_("空欄なら質問セットの間隔（承認から）に戻します。例: 2027-04-01、令和9年4月1日"))
    reason = _TextField(label=_("理由"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                        help_text=_("例: 見直しを終えたため、次の見直しを1年後にする"))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
