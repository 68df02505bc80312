from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import Category, Municipality


class ProjectFilterForm(forms.Form):
    """The catalogue's search and filters (GET); every field is optional."""

    q = forms.CharField(label=_("キーワード"), required=False, max_length=200)
    municipality = forms.ModelChoiceField(
        label=_("自治体"), queryset=Municipality.objects.all(), required=False, empty_label=_("すべて")
    )
    category = forms.ModelChoiceField(
        label=_("分類"), queryset=Category.objects.all(), required=False, empty_label=_("すべて")
    )
    amount_min = forms.IntegerField(label=_("採択額の下限（千円）"), required=False, min_value=0)
    amount_max = forms.IntegerField(label=_("採択額の上限（千円）"), required=False, min_value=0)

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("amount_min"), cleaned.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", _("上限は下限以上にしてください。"))
        return cleaned

    def search_arguments(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "text": data.get("q", "").strip(),
            "municipality": data.get("municipality"),
            "category": data.get("category"),
            "amount_min": data.get("amount_min"),
            "amount_max": data.get("amount_max"),
        }
