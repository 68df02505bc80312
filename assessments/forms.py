from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

from assessments import answer_values
from assessments.answer_saving import UNCHANGED
from assessments.models import (
    Assessment,
    Category,
    InventoryRow,
    Membership,
    Municipality,
    Organisation,
    Question,
    QuestionSet,
    ResidentViews,
    Reviewer,
    ReviewOpinion,
)


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


# --- The wizard ---------------------------------------------------------------------------------------


class AssessmentStartForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("団体"), queryset=Organisation.objects.none(), required=False,
        empty_label=_("（自分だけの評価にする）"),
        help_text=_("団体を選ぶと、その団体の構成員が役割に応じて閲覧・編集できます。"),
    )
    question_set = forms.ModelChoiceField(
        label=_("質問セット"), queryset=QuestionSet.objects.none(), empty_label=None
    )
    title = forms.CharField(label=_("評価の題名"), max_length=200)
    standpoint = forms.ChoiceField(
        label=_("あなたの立場"), choices=Assessment.Standpoint.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, project, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(
            memberships__user=user, memberships__role__in=[Membership.Role.EDITOR, Membership.Role.OWNER]
        ).order_by("name")
        sets = QuestionSet.objects.published().order_by("key", "-version")
        self.fields["question_set"].queryset = sets
        latest = sets.order_by("-published_at", "-version").first()
        self.fields["question_set"].initial = latest.pk if latest else None
        self.fields["title"].initial = _("%(project)s の評価") % {"project": project}

    def clean_title(self):
        title = answer_values.clean_text(self.cleaned_data["title"], max_length=200).strip()
        if not title:
            raise forms.ValidationError(_("題名を入力してください。"))
        return title


class _UncheckedChoiceField(forms.ChoiceField):
    """Renders choices; the choice itself is checked by answer_values.clean_answer (one rule for all paths)."""

    def validate(self, value):
        pass


class _UncheckedMultipleChoiceField(forms.MultipleChoiceField):
    def validate(self, value):
        pass


class _TextField(forms.CharField):
    """Text whose control characters (NUL included) answer_values.clean_text strips, instead of Django's
    refusal of NUL, so that pasted text from PDFs and spreadsheets saves."""

    def __init__(self, **kwargs):
        super().__init__(strip=False, **kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]


def answer_field(question: Question) -> forms.Field | None:
    """The form field for a question's main answer (None for evidence and inventory questions)."""
    choices = [(c.key, c.label) for c in question.choices.all()]
    common = {"label": question.text, "required": False}
    if question.type == Question.Type.SINGLE:
        return _UncheckedChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if question.type == Question.Type.MULTIPLE:
        return _UncheckedMultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    if question.type == Question.Type.TEXT:
        return _TextField(**common)
    if question.type == Question.Type.TEXTAREA:
        return _TextField(widget=forms.Textarea(attrs={"rows": 6}), **common)
    if question.type == Question.Type.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    if question.type == Question.Type.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    return None


def answer_name(question: Question) -> str:
    return f"q-{question.key}"


def note_name(question: Question) -> str:
    return f"note-{question.key}"


class SectionForm(forms.Form):
    """One section's answers and notes. Fields keep a hidden initial value so that only what the
    user changed is saved (and only a real change can conflict with somebody else's save)."""

    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, data=None, *, questions, stored, revision):
        initial = {"revision": revision}
        super().__init__(data, initial=initial)
        self.questions = list(questions)
        for question in self.questions:
            answer = stored.get(question.key)
            field = answer_field(question)
            if field is not None:
                field.show_hidden_initial = True
                field.widget.attrs.update({"data-autosave-question": question.key, "data-autosave-field": "value"})
                self.fields[answer_name(question)] = field
                self.initial[answer_name(question)] = answer.value if answer else None
            note = _TextField(
                label=_("補足（分かっていること・分からないこと）"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            note.show_hidden_initial = True
            note.widget.attrs.update({"data-autosave-question": question.key, "data-autosave-field": "note"})
            self.fields[note_name(question)] = note
            self.initial[note_name(question)] = answer.note if answer else ""

    def clean(self):
        cleaned = super().clean()
        for question in self.questions:
            name = answer_name(question)
            if name in self.fields:
                raw = self.data.getlist(name) if question.type == Question.Type.MULTIPLE else self.data.get(name)
                try:
                    cleaned[name] = answer_values.clean_answer(
                        question, raw, choice_keys=[c.key for c in question.choices.all()]
                    )
                except forms.ValidationError as error:
                    self.add_error(name, error)
            try:
                cleaned[note_name(question)] = answer_values.clean_text(self.data.get(note_name(question), ""))
            except forms.ValidationError as error:
                self.add_error(note_name(question), error)
        return cleaned

    def changed_questions(self) -> dict:
        """Question -> (value or UNCHANGED, note or UNCHANGED) for what the user changed."""
        changed = set(self.changed_data)
        result = {}
        for question in self.questions:
            value = self.cleaned_data[answer_name(question)] if answer_name(question) in changed else UNCHANGED
            note = self.cleaned_data[note_name(question)] if note_name(question) in changed else UNCHANGED
            if value is not UNCHANGED or note is not UNCHANGED:
                result[question] = (value, note)
        return result


class EvidenceForm(forms.Form):
    title = forms.CharField(label=_("資料名"), required=False, max_length=300)
    url = forms.CharField(label=_("URL"), required=False, max_length=2000)
    page = forms.CharField(label=_("ページ"), required=False, max_length=50)
    date = forms.DateField(label=_("日付"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("メモ"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        cleaned = super().clean()
        for name in ("title", "url", "page", "note"):
            if name in cleaned:
                try:
                    cleaned[name] = answer_values.clean_text(cleaned[name], max_length=answer_values.MAX_TEXT_LENGTH).strip()
                except forms.ValidationError as error:
                    self.add_error(name, error)
        filled = any(cleaned.get(name) for name in ("url", "page", "date", "note"))
        if filled and not cleaned.get("title"):
            self.add_error("title", _("資料名を入力してください。"))
        return cleaned


class InventoryRowForm(forms.Form):
    YES_NO = InventoryRow.YesNo.choices
    SMALL_SELECT = {"class": "form-select form-select-sm"}

    data_item = forms.CharField(label=_("データ項目"), required=False, max_length=200)
    held_by = forms.CharField(label=_("保有部署・元のシステム"), required=False, max_length=200)
    purpose = forms.CharField(label=_("利用目的・活用類型"), required=False, max_length=300)
    legal_basis = forms.CharField(label=_("法的根拠"), required=False, max_length=300)
    sensitive = forms.ChoiceField(label=_("要配慮個人情報"), choices=YES_NO, initial="unknown", widget=forms.Select(attrs=SMALL_SELECT))
    children = forms.ChoiceField(label=_("こどものデータ"), choices=YES_NO, initial="unknown", widget=forms.Select(attrs=SMALL_SELECT))
    necessity = forms.CharField(label=_("目的に必要な理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    retention = forms.CharField(label=_("保存期間"), required=False, max_length=200)
    shared_with_vendor = forms.ChoiceField(label=_("委託先との共有"), choices=YES_NO, initial="unknown", widget=forms.Select(attrs=SMALL_SELECT))

    def clean(self):
        cleaned = super().clean()
        for name in ("data_item", "held_by", "purpose", "legal_basis", "necessity", "retention"):
            if name in cleaned:
                try:
                    cleaned[name] = answer_values.clean_text(cleaned[name]).strip()
                except forms.ValidationError as error:
                    self.add_error(name, error)
        if self.has_changed() and not cleaned.get("data_item") and not cleaned.get("DELETE"):
            self.add_error("data_item", _("データ項目の名前を入力してください。"))
        return cleaned


EvidenceFormSet = forms.formset_factory(EvidenceForm, extra=1, can_delete=True, max_num=50, validate_max=True)
InventoryFormSet = forms.formset_factory(InventoryRowForm, extra=0, can_delete=True, max_num=500, validate_max=True)


def formset_rows(formset, fields) -> list[dict]:
    """The rows a formset submits, in order, without deleted and untouched empty rows."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if not data or data.get("DELETE"):
            continue
        if not form.has_changed() and form in formset.extra_forms:
            continue
        rows.append({name: data.get(name) for name in fields})
    return rows


# --- Review --------------------------------------------------------------------------------------------


class TransitionForm(forms.Form):
    action = forms.ChoiceField(choices=[(key, key) for key in ("submit", "start_review", "return", "approve", "publish", "unpublish")])
    note = forms.CharField(label=_("メモ・理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class ReviewerForm(forms.Form):
    username = forms.CharField(label=_("ユーザー名"), max_length=150)
    kind = forms.ChoiceField(label=_("区分"), choices=Reviewer.Kind.choices)


class OpinionForm(forms.Form):
    section = forms.IntegerField(widget=forms.HiddenInput, required=False)
    verdict = forms.ChoiceField(label=_("意見"), choices=ReviewOpinion.Verdict.choices, widget=forms.RadioSelect)
    text = forms.CharField(label=_("理由・条件"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ResidentViewsForm(forms.Form):
    sought = forms.ChoiceField(label=_("住民・当事者の意見を聴いたか"), choices=ResidentViews.Sought.choices, widget=forms.RadioSelect)
    methods = forms.MultipleChoiceField(
        label=_("方法"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(m, m) for m in ResidentViews.METHODS],
    )
    summary = forms.CharField(label=_("寄せられた意見の要旨"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    response = forms.CharField(label=_("意見への対応"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason_not_sought = forms.CharField(label=_("聴かなかった理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, instance_data=None, **kwargs):
        if instance_data is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                name: getattr(instance_data, name)
                for name in ("sought", "methods", "summary", "response", "reason_not_sought")
            }
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("sought") == ResidentViews.Sought.NO and not cleaned.get("reason_not_sought", "").strip():
            self.add_error("reason_not_sought", _("意見を聴かなかった場合は、その理由を書いてください。"))
        return cleaned
