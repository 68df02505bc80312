"""The form of 再評価を始める (reassessment.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments import answer_values
from assessments.forms import DataSelect
from assessments.models import Assessment, Membership, Organisation


class ReassessmentStartForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("団体"), queryset=Organisation.objects.none(), required=False,
        empty_label=_("（自分だけの評価にする）"),
        help_text=_("団体を選ぶと、その団体の構成員が役割に応じて閲覧・編集できます。"), widget=DataSelect,
    )
    title = forms.CharField(label=_("新しい評価の題名"), max_length=200)
    standpoint = forms.ChoiceField(
        label=_("あなたの立場"), choices=Assessment.Standpoint.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, previous: Assessment, user, **kwargs):
        super().__init__(*args, **kwargs)
        editable = Organisation.objects.filter(
            memberships__user=user, memberships__role__in=[Membership.Role.EDITOR, Membership.Role.OWNER]
        ).order_by("name")
        self.fields["organisation"].queryset = editable
        # The earlier assessment's organisation when the user edits there (a group re-assesses its
        # own work); else their own (another group's published assessment).
        if any(org.pk == previous.organisation_id for org in editable):
            self.fields["organisation"].initial = previous.organisation_id
        self.fields["title"].initial = _("%(title)s（再評価）") % {"title": previous.title[:190]}
        self.fields["standpoint"].initial = previous.standpoint

    def clean_title(self):
        title = answer_values.clean_text(self.cleaned_data["title"], max_length=200).strip()
        if not title:
            raise forms.ValidationError(_("題名を入力してください。"))
        return title
