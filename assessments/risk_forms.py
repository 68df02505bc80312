"""Forms of the risk pages (assessments.views.risks) and of risks in an assessment file
(assessments.exchange): one cleaning for both. The services in assessments.risks do the work."""

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments import answer_values, risk_levels
from assessments.forms import _TextField
from assessments.risks import TEXT_LIMIT

MAX_ITEMS = 500  # the inventory's own limit (inventory_io.MAX_ROWS)


class _Choices(forms.MultipleChoiceField):
    """Checkboxes whose choices are set per form (harms, questions, data items)."""

    widget = forms.CheckboxSelectMultiple


class RiskForm(forms.Form):
    title = _TextField(label=_("リスクの題名"), max_length=200,
                       help_text=_("例: こどもの健診データが、必要な理由の説明なく虐待の判定に使われる"))
    description = _TextField(label=_("何が起きうるか"), required=False, max_length=TEXT_LIMIT,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("住民の側から見て、誰に、何が、どのように起きうるか。"))
    harms = _Choices(label=_("住民にとっての害"), error_messages={"required": _("害を1つ以上選んでください。")})
    questions = _Choices(label=_("根拠にした回答"), required=False)
    data_items = _Choices(label=_("関係するデータ項目"), required=False)
    severity = forms.TypedChoiceField(label=_("重大さ"), coerce=int, widget=forms.RadioSelect,
                                      error_messages={"required": _("重大さを選んでください。")})
    likelihood = forms.TypedChoiceField(label=_("起こりやすさ"), coerce=int, widget=forms.RadioSelect,
                                        error_messages={"required": _("起こりやすさを選んでください。")})
    existing_measures = _TextField(label=_("いまある対策"), required=False, max_length=TEXT_LIMIT,
                                   widget=forms.Textarea(attrs={"rows": 3}))
    residual_severity = forms.TypedChoiceField(label=_("対策後の重大さ"), coerce=int, empty_value=None,
                                               required=False, widget=forms.RadioSelect)
    residual_likelihood = forms.TypedChoiceField(label=_("対策後の起こりやすさ"), coerce=int, empty_value=None,
                                                 required=False, widget=forms.RadioSelect)
    residual_note = _TextField(label=_("対策後の見込みの前提"), required=False, max_length=TEXT_LIMIT,
                               widget=forms.Textarea(attrs={"rows": 2}),
                               help_text=_("どの対策が実施されたら、この見込みになるか。"))
    origin_rule = forms.CharField(widget=forms.HiddenInput, required=False, max_length=60)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, initial=0)

    def __init__(self, *args, part, questions, items, linked_items=(), **kwargs):
        """``part``: the set's risks.RiskPart; ``questions``: the Questions that may be linked (in
        order); ``items``: the inventory's data item names now; ``linked_items``: names the risk
        already names (kept even if no longer in the inventory)."""
        super().__init__(*args, **kwargs)
        self.part = part
        model = part.model
        self.fields["harms"].choices = [(key, harm.label) for key, harm in part.harms.items()]
        self.question_objects = {q.key: q for q in questions}
        self.fields["questions"].choices = [(q.key, q.text) for q in questions]
        names = list(dict.fromkeys([*items, *linked_items]))
        self.fields["data_items"].choices = [(name, name) for name in names]
        for name, scale in (("severity", model.severity), ("likelihood", model.likelihood)):
            choices = [(str(step.value), f"{step.value} {step.label}") for step in scale]
            self.fields[name].choices = choices
            self.fields[f"residual_{name}"].choices = [("", _("まだ見込まない")), *choices]

    def clean_title(self):
        title = " ".join(answer_values.clean_text(self.cleaned_data["title"], max_length=200).split())
        if not title:
            raise forms.ValidationError(_("リスクの題名を入力してください。"))
        return title

    def _text(self, name):
        return answer_values.clean_text(self.cleaned_data.get(name, ""), max_length=TEXT_LIMIT).strip()

    def clean_description(self):
        return self._text("description")

    def clean_existing_measures(self):
        return self._text("existing_measures")

    def clean_residual_note(self):
        return self._text("residual_note")

    def clean_origin_rule(self):
        key = self.cleaned_data.get("origin_rule", "")
        if key and key not in {rule.key for rule in self.part.rules}:
            raise forms.ValidationError(_("この質問セットにない示唆です。"))
        return key

    def clean_data_items(self):
        items = self.cleaned_data["data_items"]
        if len(items) > MAX_ITEMS:
            raise forms.ValidationError(_("データ項目は%(max)s件までにしてください。") % {"max": MAX_ITEMS})
        return items

    def clean(self):
        cleaned = super().clean()
        severity, likelihood = cleaned.get("residual_severity"), cleaned.get("residual_likelihood")
        if (severity is None) != (likelihood is None) and not self.errors.get("residual_severity") \
                and not self.errors.get("residual_likelihood"):
            missing = "residual_likelihood" if likelihood is None else "residual_severity"
            self.add_error(missing, _("対策後の見込みは、重大さと起こりやすさの両方を選ぶか、両方とも「まだ見込まない」にしてください。"))
        return cleaned

    def values(self) -> dict:
        """What risks.risk_create and risk_update take."""
        data = self.cleaned_data
        return {
            "title": data["title"], "description": data["description"],
            "harms": [self.part.harms[key] for key in data["harms"]],
            "questions": [self.question_objects[key] for key in data["questions"]],
            "data_items": list(data["data_items"]),
            "severity": data["severity"], "likelihood": data["likelihood"],
            "existing_measures": data["existing_measures"],
            "residual_severity": data["residual_severity"], "residual_likelihood": data["residual_likelihood"],
            "residual_note": data["residual_note"], "origin_rule": data["origin_rule"],
        }

    def level_preview(self):
        """The level of the chosen pair, when both are valid (shown after a refused post)."""
        if self.is_bound and not self.errors.get("severity") and not self.errors.get("likelihood"):
            return risk_levels.level_of(self.part.model, self.cleaned_data.get("severity"),
                                        self.cleaned_data.get("likelihood"))
        return None


class DismissForm(forms.Form):
    reason = _TextField(label=_("見送る理由"), max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 2}),
                        error_messages={"required": _("見送る理由を書いてください。")})

    def clean_reason(self):
        reason = answer_values.clean_text(self.cleaned_data["reason"], max_length=TEXT_LIMIT).strip()
        if not reason:
            raise forms.ValidationError(_("見送る理由を書いてください。"))
        return reason
