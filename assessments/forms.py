import datetime
import hashlib
import json

from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from assessments import answer_values
from assessments import answer_saving
from assessments import reviewing, selectors
from assessments.models import (
    Assessment,
    Category,
    InventoryRow,
    LetterDetails,
    Membership,
    Municipality,
    Organisation,
    Project,
    Question,
    QuestionSet,
    ResidentViews,
    Reviewer,
    ReviewOpinion,
)


class DataSelect(forms.Select):
    """A select whose options name database records (municipalities, categories, question sets …),
    in Japanese whatever the interface language: lang="ja" on each option but the empty one, where
    the page is not Japanese."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        if str(value if value is not None else "") and (get_language() or "ja").split("-")[0] != "ja":
            option["attrs"] = {**option["attrs"], "lang": "ja"}
        return option


class ProjectFilterForm(forms.Form):
    """The catalogue's search and filters (GET); every field is optional."""

    q = forms.CharField(label=_("キーワード"), required=False, max_length=200)
    municipality = forms.ModelChoiceField(
        label=_("自治体"), queryset=Municipality.objects.all(), required=False, empty_label=_("すべて"),
        widget=DataSelect,
    )
    category = forms.ModelChoiceField(
        label=_("分類"), queryset=Category.objects.all(), required=False, empty_label=_("すべて"),
        widget=DataSelect,
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
        help_text=_("団体を選ぶと、その団体の構成員が役割に応じて閲覧・編集できます。"), widget=DataSelect,
    )
    question_set = forms.ModelChoiceField(
        label=_("質問セット"), queryset=QuestionSet.objects.none(), empty_label=None, widget=DataSelect,
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
        self.fields["question_set"].queryset = selectors.questionsets_for_new_assessments().order_by("key")
        latest = selectors.default_questionset()
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


def mark_choices(question: Question) -> list[tuple[str, str]]:
    """「不明」「未開示」「該当なし」, after the choice of answering as the question asks."""
    answered = {
        Question.Type.EVIDENCE: _("下に資料を記録する"),
        Question.Type.INVENTORY: _("下の表に記入する"),
    }.get(question.type, _("上の欄に記入する"))
    return [("", answered), *((key, MARK_LABELS[key]) for key in answer_values.MARKS)]


# The marks as the interface names them (answer_values.MARKS: as answers are stored and shown).
MARK_LABELS = {
    answer_values.UNKNOWN: _("不明"), answer_values.NOT_DISCLOSED: _("未開示"), answer_values.NOT_APPLICABLE: _("該当なし"),
}


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
        # Text, not type=number: 「12,000」「1.2万」「不明」 are understood (answer_values.clean_number).
        return _TextField(widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}), **common)
    if question.type == Question.Type.DATE:
        return _TextField(
            widget=forms.TextInput(attrs={"placeholder": "2024-05-01", "autocomplete": "off"}),
            help_text=_("例: 2024-05-01、令和6年5月1日"), **common,
        )
    return None


def answer_name(question: Question) -> str:
    return f"q-{question.key}"


def mark_name(question: Question) -> str:
    return f"mark-{question.key}"


def note_name(question: Question) -> str:
    return f"note-{question.key}"


def part_token_name(question: Question, part: str) -> str:
    return f"v-{question.key}-{part}"


def content_digest(content) -> str:
    """A short fingerprint of a part's content, so that a post can tell what the user changed."""
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def part_token(version: int, content) -> str:
    """What the page keeps of each part: the version it shows and a fingerprint of its content."""
    return f"{version}:{content_digest(content)}"


def read_part_token(raw) -> tuple[int, str] | None:
    try:
        version, digest = str(raw).split(":", 1)
        return int(version), digest
    except (TypeError, ValueError):
        return None


def _display_value(question: Question, answer) -> object:
    """The stored value as the answer field shows it (a mark leaves the field empty)."""
    if answer is None or answer_values.mark_of(answer.value) is not None:
        return None
    return answer.value


class SectionForm(forms.Form):
    """One section's answers, marks (不明・未開示・該当なし for questions without choices) and notes."""

    def __init__(self, data=None, *, questions, stored):
        super().__init__(data)
        self.questions = list(questions)
        for question in self.questions:
            answer = stored.get(question.key)
            autosave = {"data-autosave-question": question.key, "data-autosave-part": "value"}
            field = answer_field(question)
            if field is not None:
                field.widget.attrs.update(autosave)
                self.fields[answer_name(question)] = field
                self.initial[answer_name(question)] = _display_value(question, answer)
            if not question.is_choice:
                mark = forms.ChoiceField(
                    label=_("回答"), choices=mark_choices(question), required=False,
                    widget=forms.RadioSelect(attrs={**autosave, "data-mark": "1", "class": "form-check-input"}),
                )
                self.fields[mark_name(question)] = mark
                self.initial[mark_name(question)] = (answer_values.mark_of(answer.value) if answer else None) or ""
            note = _TextField(
                label=_("補足（分かっていること・分からないこと）"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2, "data-autosave-question": question.key, "data-autosave-part": "note"}),
            )
            self.fields[note_name(question)] = note
            self.initial[note_name(question)] = answer.note if answer else ""

    def clean(self):
        cleaned = super().clean()
        for question in self.questions:
            name = answer_name(question)
            raw = self.data.getlist(name) if question.type == Question.Type.MULTIPLE else self.data.get(name)
            try:
                cleaned[("value", question.key)] = answer_values.clean_answer(
                    question, raw, mark=self.data.get(mark_name(question), "") if not question.is_choice else "",
                    choice_keys=[c.key for c in question.choices.all()],
                )
            except forms.ValidationError as error:
                self.add_error(name if name in self.fields else mark_name(question), error)
            try:
                cleaned[("note", question.key)] = answer_values.clean_text(self.data.get(note_name(question), ""))
            except forms.ValidationError as error:
                self.add_error(note_name(question), error)
        return cleaned


class EvidenceForm(forms.Form):
    title = _TextField(label=_("資料名"), required=False, max_length=300)
    url = _TextField(label=_("URL"), required=False, max_length=2000)
    page = _TextField(label=_("ページ"), required=False, max_length=50)
    date = forms.DateField(label=_("日付"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = _TextField(label=_("メモ"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

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


TEXT_ROW_FIELDS = ("data_item", "necessity", "purpose", "legal_basis", "category", "held_by", "retention", "note")


class _FixedChoiceField(forms.ChoiceField):
    """A ChoiceField whose copies share its choices, as no form changes them: Django deep-copies every
    field of every form it makes, and copying the choices' lazy labels was about a third of the time
    of a section page with 500 inventory rows (bench/request_cpu.py)."""

    def __deepcopy__(self, memo):
        return forms.Field.__deepcopy__(self, memo)


class InventoryRowForm(forms.Form):
    YES_NO = InventoryRow.YesNo.choices
    SMALL_SELECT = {"class": "form-select form-select-sm"}

    # In the order of answer_saving.ROW_FIELDS: the item and why it is needed first, the rest later.
    data_item = _TextField(label=_("データ項目"), required=False, max_length=200)
    necessity = _TextField(label=_("目的に必要な理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    sensitive = _FixedChoiceField(label=_("要配慮個人情報"), choices=YES_NO, initial="unknown", widget=forms.Select(attrs=SMALL_SELECT))
    children = _FixedChoiceField(label=_("こどものデータ"), choices=YES_NO, initial="unknown", widget=forms.Select(attrs=SMALL_SELECT))
    purpose = _TextField(label=_("利用目的・活用類型"), required=False, max_length=300)
    legal_basis = _TextField(label=_("法的根拠"), required=False, max_length=300)
    category = _TextField(label=_("区分"), required=False, max_length=100)
    held_by = _TextField(label=_("保有部署・元のシステム"), required=False, max_length=200)
    retention = _TextField(label=_("保存期間"), required=False, max_length=200)
    shared_with_vendor = _FixedChoiceField(label=_("委託先との共有"), choices=YES_NO, initial="unknown", widget=forms.Select(attrs=SMALL_SELECT))
    note = _TextField(label=_("メモ"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        cleaned = super().clean()
        for name in TEXT_ROW_FIELDS:
            if name in cleaned:
                try:
                    cleaned[name] = answer_values.clean_text(cleaned[name]).strip()
                except forms.ValidationError as error:
                    self.add_error(name, error)
        if self.has_changed() and not cleaned.get("data_item") and not cleaned.get("DELETE"):
            self.add_error("data_item", _("データ項目の名前を入力してください。"))
        return cleaned


# absolute_max = max_num: a TOTAL_FORMS of 100,000 builds no more forms than the limit allows (Django's
# default builds max_num + 1,000 of them), and anything over the limit is refused with a message.
MAX_SOURCES_PER_QUESTION = 50
MAX_INVENTORY_ROWS = 500
EvidenceFormSet = forms.formset_factory(
    EvidenceForm, extra=1, can_delete=True, max_num=MAX_SOURCES_PER_QUESTION,
    absolute_max=MAX_SOURCES_PER_QUESTION, validate_max=True,
)
InventoryFormSet = forms.formset_factory(
    InventoryRowForm, extra=0, can_delete=True, max_num=MAX_INVENTORY_ROWS,
    absolute_max=MAX_INVENTORY_ROWS, validate_max=True,
)


def formset_rows(formset, fields) -> list[dict]:
    """The rows a formset submits, in order, without deleted and wholly empty rows.

    Bound formsets are made without ``initial`` (see SectionPage), so ``has_changed`` means "has
    any content": comparing with the stored rows instead would drop a row added in this page
    whenever a background save had already stored it."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if not data or data.get("DELETE"):
            continue
        if not form.has_changed():
            continue
        rows.append({name: data.get(name) for name in fields})
    return rows


class RowErrors(forms.ValidationError):
    """Row-by-row errors of sources or inventory rows given as a list (background save, import)."""

    def __init__(self, rows, non_form):
        self.rows = rows
        super().__init__(list(non_form) or [_("入力に誤りがある行があります。")])


def clean_rows(part: str, items) -> list[dict]:
    """Sources ("evidence") or inventory rows ("rows") given as a list of dicts, cleaned by the same
    forms as the section page; wholly empty rows are left out. Raises RowErrors."""
    formset_class, fields = (
        (InventoryFormSet, answer_saving.ROW_FIELDS) if part == "rows" else (EvidenceFormSet, answer_saving.EVIDENCE_FIELDS)
    )
    if not isinstance(items, list) or len(items) > formset_class.max_num:
        raise forms.ValidationError(
            _("%(n)s行までにしてください。") % {"n": formset_class.max_num} if isinstance(items, list)
            else _("送信内容を読み取れませんでした。")
        )
    data = formset_data("p", [item if isinstance(item, dict) else {} for item in items], fields, initial=False)
    formset = formset_class(data, prefix="p")
    if not formset.is_valid():
        errors = [{name: " ".join(messages) for name, messages in form.errors.items()} for form in formset.forms]
        raise RowErrors(errors, formset.non_form_errors())
    return formset_rows(formset, fields)


def parts_of(question: Question) -> tuple[str, ...]:
    """The parts of a question's answer on the page: the value (for evidence and inventory questions
    only a mark), the note, and the sources or the inventory rows."""
    return ("value", "note", "rows" if question.type == Question.Type.INVENTORY else "evidence")


def formset_data(prefix: str, rows: list[dict], fields, *, initial: bool = True) -> dict:
    """POST data that a formset showing ``rows`` would submit (to show stored rows again). With
    ``initial=False`` every row counts as new, so that wholly empty rows are left out."""
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(len(rows) if initial else 0)}
    for i, row in enumerate(rows):
        for name in fields:
            value = row.get(name)
            data[f"{prefix}-{i}-{name}"] = "" if value is None else str(value)
    return data


class SectionPage:
    """The forms of one section page: answers, marks and notes, sources per question, the inventory,
    and for every part of every answer the token of the version the page shows."""

    def __init__(self, data, workspace, section, *, extra_rows=0):
        self.data = data
        self.questions = list(section.questions.all())
        self.stored = workspace.answers
        self.form = SectionForm(data, questions=self.questions, stored=self.stored)
        self.evidence = {}
        self.inventory = None
        self.tokens: dict[tuple[str, str], str] = {}
        for question in self.questions:
            answer = self.stored.get(question.key)
            if question.type == Question.Type.INVENTORY:
                initial = answer_saving.row_dicts(answer) if answer and data is None else None
                self.inventory = (question, InventoryFormSet(data, initial=initial, prefix=self.prefix(question)))
                self.inventory[1].extra = extra_rows
            else:
                initial = answer_saving.evidence_dicts(answer) if answer and data is None else None
                self.evidence[question.key] = EvidenceFormSet(data, initial=initial, prefix=self.prefix(question))
            for part in parts_of(question):
                posted = data.get(part_token_name(question, part)) if data is not None else None
                if posted is not None and read_part_token(posted) is not None:
                    self.tokens[(question.key, part)] = posted
                elif data is not None:
                    # A post that does not say which version it was based on (a broken or hand-made
                    # form): a part it leaves as stored is no change; one it changes is based on no
                    # version (-1), so it is a conflict shown with both texts, never an overwrite.
                    self.tokens[(question.key, part)] = part_token(-1, answer_saving.stored_part(answer, part))
                else:
                    self.tokens[(question.key, part)] = part_token(
                        answer_saving.part_version(answer, part), answer_saving.stored_part(answer, part)
                    )

    @staticmethod
    def prefix(question: Question) -> str:
        return "inv" if question.type == Question.Type.INVENTORY else f"ev-{question.key}"

    def formset(self, question: Question):
        if question.type == Question.Type.INVENTORY:
            return self.inventory[1] if self.inventory else None
        return self.evidence.get(question.key)

    def formsets(self):
        yield from self.evidence.values()
        if self.inventory:
            yield self.inventory[1]

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        for formset in self.formsets():
            valid = formset.is_valid() and valid
        return valid

    def part_errors(self, question: Question, part: str) -> bool:
        """Whether the input for this part is refused (its own message is beside the field)."""
        errors = self.form.errors
        if part == "value":
            return answer_name(question) in errors or mark_name(question) in errors
        if part == "note":
            return note_name(question) in errors
        formset = self.formset(question)
        return formset is not None and not formset.is_valid()

    def content(self, question: Question, part: str):
        """The cleaned input for one part (call after is_valid, for parts without errors)."""
        if part in ("value", "note"):
            return self.form.cleaned_data[(part, question.key)]
        fields = answer_saving.ROW_FIELDS if part == "rows" else answer_saving.EVIDENCE_FIELDS
        return formset_rows(self.formset(question), fields)

    def changes(self, *, resolve: dict | None = None) -> dict:
        """Question -> AnswerChange with the parts the user changed on this page (by the fingerprint
        of what the page showed), each with the version it was based on. ``resolve`` maps
        (key, part) to ("mine", version) (overwrite the newer save that the conflict box showed,
        that version and no later one) or "stored" (drop my input)."""
        resolve = resolve or {}
        changes = {}
        for question in self.questions:
            for part in parts_of(question):
                choice = resolve.get((question.key, part))
                if choice == "stored" or self.part_errors(question, part):
                    continue
                mine = isinstance(choice, tuple) and choice[0] == "mine"
                content = self.content(question, part)
                version, digest = read_part_token(self.tokens[(question.key, part)])
                if digest == content_digest(content) and not mine:
                    continue
                if mine:
                    version = choice[1]
                change = changes.setdefault(question, answer_saving.AnswerChange())
                setattr(change, part, content)
                change.base[part] = version
        return changes

    def error_list(self) -> list[tuple[Question, str, str]]:
        """(question, id of the field, message) for every refused input, in page order."""
        errors = []
        for question in self.questions:
            for name in (answer_name(question), mark_name(question), note_name(question)):
                for message in self.form.errors.get(name, []):
                    field_id = f"id_{name}_0" if name == mark_name(question) else f"id_{name}"
                    errors.append((question, field_id, message))
            formset = self.formset(question)
            if formset is None or formset.is_valid():
                continue
            for message in formset.non_form_errors():
                errors.append((question, f"q-{question.key}", message))
            for form in formset.forms:
                for name, messages in form.errors.items():
                    for message in messages:
                        errors.append((question, form[name].id_for_label if name in form.fields else f"q-{question.key}", message))
        return errors

    def data_after(self, outcome, *, resolve: dict | None = None, stored_now: dict | None = None):
        """The POST data to show again after a save: the user's input, with the tokens of the saved
        parts moved to their new versions, and parts resolved as "stored" replaced by what is stored."""
        data = self.data.copy()
        resolve = resolve or {}
        stored_now = stored_now or {}
        for question in self.questions:
            for part in parts_of(question):
                key = (question.key, part)
                new_version = outcome.versions.get(question.key, {}).get(part) if outcome else None
                if resolve.get(key) == "stored":
                    answer = stored_now.get(question.key)
                    content = answer_saving.stored_part(answer, part)
                    self._put(data, question, part, content)
                    data[part_token_name(question, part)] = part_token(answer_saving.part_version(answer, part), content)
                elif new_version is not None and not self.part_errors(question, part):
                    data[part_token_name(question, part)] = part_token(new_version, self.content(question, part))
        return data

    def _put(self, data, question: Question, part: str, content) -> None:
        if part == "note":
            data[note_name(question)] = content or ""
        elif part == "value":
            mark = answer_values.mark_of(content)
            data[mark_name(question)] = mark or ""
            if isinstance(content, list):
                data.setlist(answer_name(question), content)
            else:
                data[answer_name(question)] = "" if content is None or mark else str(content)
        else:
            prefix = self.prefix(question)
            for name in [k for k in data if k.startswith(f"{prefix}-")]:
                del data[name]
            fields = answer_saving.ROW_FIELDS if part == "rows" else answer_saving.EVIDENCE_FIELDS
            data.update(formset_data(prefix, content, fields))


# --- Review --------------------------------------------------------------------------------------------


class TransitionForm(forms.Form):
    action = forms.ChoiceField(choices=[(key, key) for key in ("submit", "start_review", "return", "approve", "publish", "unpublish")])
    # Its length (5,000) and characters are checked by reviewing.assessment_transition, whose error
    # the review page shows; this form refuses only an action that does not exist.
    note = _TextField(label=_("メモ・理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewerForm(forms.Form):
    username = forms.CharField(label=_("ユーザー名"), max_length=150)
    kind = forms.ChoiceField(label=_("区分"), choices=Reviewer.Kind.choices)


class OpinionForm(forms.Form):
    section = forms.IntegerField(widget=forms.HiddenInput, required=False)
    base = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)  # reviewing.stored_base
    verdict = forms.ChoiceField(label=_("意見"), choices=ReviewOpinion.Verdict.choices, widget=forms.RadioSelect)
    text = _TextField(label=_("理由・条件"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


# How the views were sought, as the interface names them (ResidentViews.METHODS: the stored values).
RESIDENT_VIEW_METHODS = {
    "説明会": _("説明会"), "パブリックコメント": _("パブリックコメント"), "アンケート": _("アンケート"),
    "意見交換会・ヒアリング": _("意見交換会・ヒアリング"), "こども向けの意見聴取": _("こども向けの意見聴取"), "その他": _("その他"),
}


class ResidentViewsForm(forms.Form):
    sought = forms.ChoiceField(label=_("住民・当事者の意見を聴いたか"), choices=ResidentViews.Sought.choices, widget=forms.RadioSelect)
    methods = forms.MultipleChoiceField(
        label=_("方法"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(m, RESIDENT_VIEW_METHODS.get(m, m)) for m in ResidentViews.METHODS],
    )
    summary = _TextField(label=_("寄せられた意見の要旨"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    response = _TextField(label=_("意見への対応"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason_not_sought = _TextField(label=_("聴かなかった理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    base = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)  # reviewing.stored_base

    def __init__(self, *args, instance_data=None, **kwargs):
        if "initial" not in kwargs:
            kwargs["initial"] = {
                **({name: getattr(instance_data, name)
                    for name in ("sought", "methods", "summary", "response", "reason_not_sought")} if instance_data else {}),
                "base": reviewing.stored_base(instance_data),
            }
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("sought") == ResidentViews.Sought.NO and not cleaned.get("reason_not_sought", "").strip():
            self.add_error("reason_not_sought", _("意見を聴かなかった場合は、その理由を書いてください。"))
        return cleaned


# --- The letter to the municipality ---------------------------------------------------------------


class LetterDetailsForm(forms.Form):
    """The letter's form, addressee, sender and reply-by date (assessments.services.letter_details_save)."""

    form = forms.ChoiceField(label=_("様式"), choices=LetterDetails.Form.choices, widget=forms.RadioSelect)
    addressed_to = forms.ChoiceField(
        label=_("あて先"), choices=Project.ResponsibleBody.choices, widget=forms.RadioSelect,
        help_text=_("事業を所管する機関。学校・教育委員会の事業は教育委員会（教育長あて）にします。"),
    )
    sender_name = _TextField(label=_("差出人の氏名"), required=False, max_length=100)
    sender_organisation = _TextField(label=_("差出人の団体・役職"), required=False, max_length=200,
                                     help_text=_("例: ○○市民の会 代表、○○市議会議員"))
    sender_contact = _TextField(label=_("連絡先"), required=False, max_length=300,
                                help_text=_("回答の送り先（住所、メールアドレス、電話番号など）。公開した評価では質問書も公開されます。"))
    reply_by = forms.CharField(label=_("回答の期限"), required=False, max_length=40,
                               help_text=_("例: 2027-01-31、令和9年1月31日。空欄なら期限を書きません。"))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def _clean_line(self, name, max_length):
        text = answer_values.clean_text(self.cleaned_data.get(name, ""), max_length=max_length)
        return " ".join(text.split())  # one line in the letter

    def clean_sender_name(self):
        return self._clean_line("sender_name", 100)

    def clean_sender_organisation(self):
        return self._clean_line("sender_organisation", 200)

    def clean_sender_contact(self):
        return self._clean_line("sender_contact", 300)

    def clean_reply_by(self):
        iso = answer_values.clean_date(self.cleaned_data.get("reply_by", ""))
        if iso is None:
            return None
        day = datetime.date.fromisoformat(iso)
        if day <= timezone.localdate():
            raise forms.ValidationError(_("回答の期限は、明日以降の日付にしてください。"))
        return day


# --- Groups (団体) ---------------------------------------------------------------------------------


class OrganisationForm(forms.Form):
    name = _TextField(label=_("団体の名称"), max_length=200,
                      help_text=_("例: ○○市の子どもの情報を考える会。ほかの団体と同じ名称は使えません。"))
    description = _TextField(label=_("説明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_name(self):
        name = " ".join(answer_values.clean_text(self.cleaned_data.get("name", ""), max_length=200).split())
        if not name:
            raise forms.ValidationError(_("団体の名称を入力してください。"))
        return name

    def clean_description(self):
        return answer_values.clean_text(self.cleaned_data.get("description", ""), max_length=2000).strip()


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("招待する人のメールアドレス"), max_length=254,
                             error_messages={"invalid": _("メールアドレスの形で入力してください（例: name@example.jp）。")})
    role = forms.ChoiceField(label=_("役割"), choices=Membership.Role.choices, initial=Membership.Role.VIEWER,
                             help_text=_("閲覧者は見るだけ、編集者は回答を書ける、管理者は構成員と招待も管理できます。"))


class MembershipChangeForm(forms.Form):
    """A change of one membership, with the version the page showed (a changed one is refused)."""

    membership = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31)
    role = forms.ChoiceField(label=_("役割"), choices=Membership.Role.choices, required=False)
