"""Django admin: the catalogue, and question sets edited as versioned data.

Nested inlines are not available in Django admin, so a set shows its sections (and levels) inline,
a section its questions, and a question its choices; each inline row links to the next level down.
Anything belonging to a published or retired set is shown read-only.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.core.exceptions import PermissionDenied
from django.core.validators import ProhibitNullCharactersValidator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from assessments import selectors, services
from assessments.answer_values import without_forbidden_characters
from assessments.models import (
    Invitation,
    AnswerHistory,
    Assessment,
    Category,
    Comment,
    Membership,
    Organisation,
    Reviewer,
    ResidentViewsChange,
    ReviewOpinion,
    StatusChange,
    ChangelogEntry,
    Choice,
    DataItem,
    Level,
    Municipality,
    Project,
    Question,
    QuestionSet,
    Harm,
    RiskLevel,
    RiskMatrixCell,
    RiskScaleStep,
    Section,
    SuggestionRule,
    Source,
    StaffAccess,
    Topic,
)
from assessments.project_import import (
    COLUMNS, MAX_FILE_BYTES, MAX_ROWS, ProjectImportError, import_projects, parse_projects_csv,
)
from assessments.questionset_io import QuestionSetDataError

FROZEN_MESSAGE = _("この質問セットは公開済み（または廃止済み）のため変更できません。変更するには「新しい版として複製」してください。")


# --- Catalogue ----------------------------------------------------------------------------------------


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "project_count"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_project_count=Count("projects"))

    @admin.display(description=_("事業数"), ordering="_project_count")
    def project_count(self, obj):
        return obj._project_count


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "key", "stated_total_thousand_yen"]
    search_fields = ["title", "key"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["title", "key", "position"]
    list_editable = ["position"]
    search_fields = ["title", "summary", "quote"]
    filter_horizontal = ["projects"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "position"]
    list_editable = ["position"]
    search_fields = ["name", "key"]


class DataItemInline(admin.TabularInline):
    model = DataItem
    extra = 0
    fields = ["position", "group", "name", "use_types", "vendor", "note"]


class ProjectImportForm(forms.Form):
    """The upload (preview) or, on confirmation, the previewed text sent back; both checked alike."""

    file = forms.FileField(label=_("CSVファイル（UTF-8）"), required=False)
    csv_text = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A NUL is dropped with the other forbidden characters below, not refused with an error on
        # a hidden field that nobody could correct.
        self.fields["csv_text"].validators = [
            v for v in self.fields["csv_text"].validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload and upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("ファイルが大きすぎます（%(size)s バイト、%(max)s バイトまで）。分けて取り込んでください。"),
                params={"size": f"{upload.size:,}", "max": f"{MAX_FILE_BYTES:,}"},
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload:
            try:
                cleaned["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("file", _("UTF-8 のCSVではありません。Excel では「CSV UTF-8」で保存してください。"))
        elif cleaned.get("csv_text"):
            cleaned["text"] = cleaned["csv_text"]
        elif not self.errors:
            self.add_error("file", _("CSVファイルを選んでください。"))
        if "text" in cleaned:
            # What the preview shows, the confirmation sends back and the import stores are one
            # text: the file without the characters that no stored text may hold.
            cleaned["text"] = without_forbidden_characters(cleaned["text"])
        return cleaned


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    change_list_template = "admin/assessments/project/change_list.html"
    list_display = ["source_row", "municipality", "title", "amount_thousand_yen", "kind"]
    list_display_links = ["title"]
    list_filter = ["kind", "categories", "municipality__kind", "fiscal_year"]
    search_fields = ["title", "description", "municipality__name", "key"]
    list_select_related = ["municipality"]
    filter_horizontal = ["categories"]
    inlines = [DataItemInline]
    list_per_page = 100

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="assessments_project_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Upload → preview (every bad row with its line) → confirm; nothing is written while any row is bad."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ProjectImportForm(request.POST or None, request.FILES or None)
        rows, errors, text = [], [], ""
        if request.method == "POST" and form.is_valid():
            text = form.cleaned_data["text"]
            rows, errors = parse_projects_csv(text)
            if "confirm" in request.POST and rows and not errors:
                try:
                    created = import_projects(rows)
                except ProjectImportError as error:
                    errors = error.problems
                else:
                    messages.success(request, _("%(n)s件の事業を作成しました。") % {"n": len(created)})
                    return redirect("admin:assessments_project_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("事業をCSVから取り込む"),
            "form": form,
            "rows": rows,
            "errors": errors,
            "csv_text": text,
            "columns": COLUMNS,
            "max_bytes": f"{MAX_FILE_BYTES:,}",
            "max_rows": f"{MAX_ROWS:,}",
        }
        return TemplateResponse(request, "admin/assessments/project/import.html", context)


# --- Question sets -------------------------------------------------------------------------------------


class FrozenAwareAdminMixin:
    """Parts of a frozen set are view-only: no change, add or delete, and a message that says why.

    Each admin using it defines ``question_set_of(obj)``.
    """

    def _frozen(self, obj) -> bool:
        question_set = self.question_set_of(obj) if obj is not None else None
        return bool(question_set and question_set.is_frozen)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._frozen(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._frozen(obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and self._frozen(obj):
            messages.warning(request, FROZEN_MESSAGE)
        return super().change_view(request, object_id, form_url, extra_context)


class FrozenParentInlineMixin:
    """An inline whose parent belongs to a frozen set offers no add, change or delete."""

    def _frozen(self, obj) -> bool:
        question_set = self.parent_question_set(obj) if obj is not None else None
        return bool(question_set and question_set.is_frozen)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not self._frozen(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._frozen(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._frozen(obj)


class UniqueKeyInlineFormSet(BaseInlineFormSet):
    """Two new rows with the same key in one save would otherwise fail only in the database."""

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            key = form.cleaned_data.get("key")
            if key in seen:
                form.add_error("key", _("同じキーが複数の行にあります。"))
            seen.add(key)


def _edit_link(obj, label):
    if obj is None or obj.pk is None:
        return "—"
    url = reverse(f"admin:assessments_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label)


class LevelInline(FrozenParentInlineMixin, admin.TabularInline):
    model = Level
    formset = UniqueKeyInlineFormSet
    extra = 0
    fields = ["position", "key", "label", "min_percent", "description"]

    def parent_question_set(self, obj):
        return obj


class ChangelogInline(FrozenParentInlineMixin, admin.TabularInline):
    model = ChangelogEntry
    extra = 0
    fields = ["position", "version", "date", "what", "why"]

    def parent_question_set(self, obj):
        return obj


class SectionInline(FrozenParentInlineMixin, admin.TabularInline):
    model = Section
    formset = UniqueKeyInlineFormSet
    extra = 0
    fields = ["position", "key", "title", "question_count", "edit"]
    readonly_fields = ["question_count", "edit"]
    ordering = ["position"]

    def parent_question_set(self, obj):
        return obj

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_question_count=Count("questions"))

    @admin.display(description=_("質問数"))
    def question_count(self, obj):
        return getattr(obj, "_question_count", "—")

    @admin.display(description=_("質問の編集"))
    def edit(self, obj):
        return _edit_link(obj, _("質問を開く"))


def _parent_set_id(request):
    """The id of the question set whose change page is open (None on the add page)."""
    obj_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
    try:
        return int(obj_id) if obj_id else None
    except ValueError:
        return None


class HarmInline(FrozenParentInlineMixin, admin.TabularInline):
    model = Harm
    formset = UniqueKeyInlineFormSet
    extra = 0
    fields = ["position", "key", "label", "explanation", "source"]

    def parent_question_set(self, obj):
        return obj


class RiskScaleStepInline(FrozenParentInlineMixin, admin.TabularInline):
    model = RiskScaleStep
    extra = 0
    fields = ["scale", "value", "label", "description"]

    def parent_question_set(self, obj):
        return obj


class RiskLevelInline(FrozenParentInlineMixin, admin.TabularInline):
    model = RiskLevel
    formset = UniqueKeyInlineFormSet
    extra = 0
    fields = ["position", "key", "label", "description"]

    def parent_question_set(self, obj):
        return obj


class RiskMatrixCellInline(FrozenParentInlineMixin, admin.TabularInline):
    """The matrix cell by cell; publishing checks it is complete, symmetric and monotonic."""

    model = RiskMatrixCell
    extra = 0
    fields = ["severity", "likelihood", "level"]

    def parent_question_set(self, obj):
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "level":
            kwargs["queryset"] = RiskLevel.objects.filter(question_set_id=_parent_set_id(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SuggestionRuleInline(FrozenParentInlineMixin, admin.StackedInline):
    model = SuggestionRule
    formset = UniqueKeyInlineFormSet
    extra = 0
    fields = ["position", "key", "title", "reason", "harms", "match", "conditions"]

    def parent_question_set(self, obj):
        return obj

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "harms":
            kwargs["queryset"] = Harm.objects.filter(question_set_id=_parent_set_id(request))
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(QuestionSet)
class QuestionSetAdmin(FrozenAwareAdminMixin, admin.ModelAdmin):
    list_display = ["title", "key", "version", "status", "question_count", "published_at", "preview_link"]
    list_filter = ["status", "key"]
    search_fields = ["title", "key", "description"]
    readonly_fields = ["status", "published_at", "cloned_from", "preview_link"]
    fieldsets = [
        (None, {"fields": ["key", "version", "title", "description", "status", "published_at", "cloned_from", "preview_link"]}),
        (
            _("スクリーニングの基準"),
            {
                "fields": [
                    "persons_not_required_below",
                    "persons_small_band_from",
                    "persons_priority_from",
                    "persons_full_from",
                    "handlers_threshold",
                    "criteria_for_full",
                ]
            },
        ),
        (_("評価レベルの判定"), {"fields": ["min_confirmed_percent"]}),
        (_("見直しと再評価の間隔"), {"fields": ["review_interval_months", "reassessment_interval_years"]}),
        (_("リスク"), {"fields": ["risk_note"]}),
    ]
    inlines = [LevelInline, SectionInline, ChangelogInline, HarmInline, RiskScaleStepInline, RiskLevelInline,
               RiskMatrixCellInline, SuggestionRuleInline]
    actions = ["publish", "clone", "retire"]

    def question_set_of(self, obj):
        return obj

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_question_count=Count("questions"))

    @admin.display(description=_("質問数"), ordering="_question_count")
    def question_count(self, obj):
        return getattr(obj, "_question_count", "—")

    @admin.display(description=_("プレビュー"))
    def preview_link(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:assessments_questionset_preview", args=[obj.pk]), _("回答画面のプレビュー")
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="assessments_questionset_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, pk):
        question_set = get_object_or_404(QuestionSet, pk=pk)
        if not self.has_view_permission(request, question_set):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "question_set": question_set,
            "sections": selectors.questionset_structure(question_set),
            "problems": services.questionset_problems(question_set) if not question_set.is_frozen else [],
            "title": _("プレビュー: %(title)s") % {"title": question_set},
        }
        return TemplateResponse(request, "admin/assessments/questionset/preview.html", context)

    @admin.action(description=_("公開する（全体を検証してから）"))
    def publish(self, request, queryset):
        for question_set in queryset:
            try:
                services.questionset_publish(question_set=question_set)
            except QuestionSetDataError as exc:
                messages.error(
                    request,
                    _("%(set)s は公開できません。問題 %(n)s 件:") % {"set": question_set, "n": len(exc.problems)},
                )
                for problem in exc.problems:
                    messages.error(request, str(problem))
            else:
                messages.success(request, _("%(set)s を公開しました。") % {"set": question_set})

    @admin.action(description=_("新しい版として複製する（下書き）"))
    def clone(self, request, queryset):
        for question_set in queryset:
            try:
                clone = services.questionset_clone(question_set=question_set)
            except QuestionSetDataError as exc:
                messages.error(request, _("%(set)s は複製できません:") % {"set": question_set})
                for problem in exc.problems:
                    messages.error(request, str(problem))
            else:
                messages.success(request, _("%(set)s を作成しました（下書き）。") % {"set": clone})

    @admin.action(description=_("廃止する"))
    def retire(self, request, queryset):
        for question_set in queryset:
            try:
                services.questionset_retire(question_set=question_set)
            except QuestionSetDataError as exc:
                messages.error(request, f"{question_set}: {exc.problems[0].message}")
            else:
                messages.success(request, _("%(set)s を廃止しました。") % {"set": question_set})

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.pk:
            # The version of a stored set is its identity: a new version is made by cloning.
            return [*self.readonly_fields, "key", "version"]
        return self.readonly_fields


class QuestionInline(FrozenParentInlineMixin, admin.TabularInline):
    model = Question
    formset = UniqueKeyInlineFormSet
    extra = 0
    fields = ["position", "key", "text", "type", "required", "risk_weight", "edit"]
    readonly_fields = ["edit"]
    ordering = ["position"]

    def parent_question_set(self, obj):
        return obj.question_set

    @admin.display(description=_("詳細"))
    def edit(self, obj):
        return _edit_link(obj, _("選択肢・条件を編集"))


@admin.register(Section)
class SectionAdmin(FrozenAwareAdminMixin, admin.ModelAdmin):
    list_display = ["title", "key", "question_set", "position"]
    list_filter = ["question_set"]
    search_fields = ["title", "key", "introduction"]
    list_select_related = ["question_set"]
    inlines = [QuestionInline]

    def question_set_of(self, obj):
        return obj.question_set

    def get_readonly_fields(self, request, obj=None):
        # A section stays in the set it was made in (Section.clean says why).
        return [*super().get_readonly_fields(request, obj), *(["question_set"] if obj is not None else [])]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "question_set":
            kwargs["queryset"] = QuestionSet.objects.filter(status=QuestionSet.Status.DRAFT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ChoiceInline(FrozenParentInlineMixin, admin.TabularInline):
    model = Choice
    formset = UniqueKeyInlineFormSet
    extra = 0
    fields = ["position", "key", "label", "score", "meaning", "red_flag"]
    ordering = ["position"]

    def parent_question_set(self, obj):
        return obj.question_set


class QuestionAdminForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        condition = cleaned.get("condition_question")
        chosen = cleaned.get("condition_choices")
        if chosen and not condition:
            self.add_error("condition_choices", _("表示条件の質問を選んでください。"))
        elif condition and not chosen:
            self.add_error("condition_choices", _("表示条件の選択肢を1つ以上選んでください。"))
        elif condition and any(choice.question_id != condition.pk for choice in chosen):
            self.add_error("condition_choices", _("表示条件の質問の選択肢だけを選んでください。"))
        return cleaned


@admin.register(Question)
class QuestionAdmin(FrozenAwareAdminMixin, admin.ModelAdmin):
    form = QuestionAdminForm
    list_display = ["key", "short_text", "type", "required", "section", "question_set"]
    list_filter = ["question_set", "type", "required", "risk_category", "section__key"]
    search_fields = ["key", "text", "guidance", "basis"]
    list_select_related = ["section", "question_set"]
    inlines = [ChoiceInline]
    fieldsets = [
        (None, {"fields": ["section", "position", "key", "text", "type", "required", "unit"]}),
        (_("説明と根拠"), {"fields": ["guidance", "basis"]}),
        (_("採点"), {"fields": ["risk_weight", "risk_category", "screening_role"]}),
        (_("自治体への質問と提案"), {"fields": ["municipality_question", "documents_to_request", "proposal"]}),
        (_("表示条件"), {"fields": ["condition_question", "condition_choices"]}),
    ]

    def question_set_of(self, obj):
        return obj.question_set

    @admin.display(description=_("質問文"))
    def short_text(self, obj):
        return obj.text[:60]

    def _set_id_for(self, request):
        obj_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
        if obj_id:
            return Question.objects.filter(pk=obj_id).values_list("question_set_id", flat=True).first()
        return None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        set_id = self._set_id_for(request)
        if db_field.name == "section":
            sections = Section.objects.filter(question_set__status=QuestionSet.Status.DRAFT)
            kwargs["queryset"] = sections.filter(question_set_id=set_id) if set_id else sections
        if db_field.name == "condition_question":
            questions = Question.objects.filter(type__in=Question.CHOICE_TYPES)
            kwargs["queryset"] = questions.filter(question_set_id=set_id) if set_id else questions.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "condition_choices":
            set_id = self._set_id_for(request)
            # In the questions' order (Choice's own order goes by the question's id).
            choices = Choice.objects.select_related("question").order_by(
                "question__section__position", "question__position", "question_id", "position", "pk")
            kwargs["queryset"] = choices.filter(question__question_set_id=set_id) if set_id else choices.none()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


# --- Organisations and assessments ------------------------------------------------------------------


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count", "personal_for", "created_at"]
    search_fields = ["name", "description"]
    # Set only by reviewing.personal_organisation (and migration 0009): shown, never edited.
    readonly_fields = ["personal_for"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("personal_for").annotate(_members=Count("memberships"))

    def save_formset(self, request, form, formset, change):
        """A role changed here raises the membership's version, as in the app (assessments.groups), so
        that an owner's form shown before it is refused there."""
        if formset.model is Membership:
            for member_form in formset.forms:
                if member_form.instance.pk and "role" in member_form.changed_data:
                    member_form.instance.version += 1
        super().save_formset(request, form, formset, change)

    @admin.display(description=_("構成員数"), ordering="_members")
    def member_count(self, obj):
        return obj._members


class ReviewerInline(admin.TabularInline):
    """The review body; after approval it stays as approved (reviewing.REVIEW_OPEN), here as in the app."""

    model = Reviewer
    extra = 0
    autocomplete_fields = ["user"]

    @staticmethod
    def _review_open(obj) -> bool:
        from assessments.reviewing import REVIEW_OPEN

        return obj is None or obj.status in REVIEW_OPEN

    def has_add_permission(self, request, obj=None):
        return self._review_open(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._review_open(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._review_open(obj) and super().has_delete_permission(request, obj)


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["at", "user", "from_status", "to_status", "note"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    """Staff see and administer every assessment; answers are changed only through the app, so that
    the workflow, the history and the conflict checks always apply."""

    list_display = ["title", "project", "organisation", "status", "owner", "updated_at", "app_link"]
    list_filter = ["status", "standpoint", "question_set", "organisation"]

    @admin.display(description=_("アプリで開く"))
    def app_link(self, assessment):
        # Opening another organisation's unpublished assessment there is recorded (access.py).
        return format_html('<a href="{}">{}</a>', reverse("assessment_summary", args=[assessment.pk]), _("開く（閲覧は記録）"))
    search_fields = ["title", "project__title", "project__municipality__name", "organisation__name"]
    list_select_related = ["project__municipality", "organisation", "owner"]
    readonly_fields = ["project", "question_set", "owner", "status", "revision", "created_at", "updated_at", "published_at"]
    fields = ["title", "organisation", "standpoint", *readonly_fields]
    inlines = [ReviewerInline, StatusChangeInline]

    def has_add_permission(self, request):
        return False


class RecordAdmin(admin.ModelAdmin):
    """A record that is evidence: it can be read in the admin, never added, edited or deleted there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReviewOpinion)
class ReviewOpinionAdmin(RecordAdmin):
    """An opinion is its reviewer's, given in the app on the content it was given on (its
    fingerprint): read here, never added, changed or deleted."""

    list_display = ["assessment", "reviewer", "section", "verdict", "updated_at"]
    list_filter = ["verdict"]
    list_select_related = ["assessment", "reviewer__user", "section"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["assessment", "question", "author", "created_at"]
    search_fields = ["text"]
    list_select_related = ["assessment", "question", "author"]


@admin.register(AnswerHistory)
class AnswerHistoryAdmin(RecordAdmin):
    """The history is evidence: it can be read, never edited."""

    list_display = ["assessment", "question", "user", "revision", "at"]
    list_select_related = ["assessment", "question", "user"]


@admin.register(ResidentViewsChange)
class ResidentViewsChangeAdmin(RecordAdmin):
    list_display = ["assessment", "user", "at"]
    list_select_related = ["assessment", "user"]


@admin.register(Invitation)
class InvitationAdmin(RecordAdmin):
    """Invitations are sent and withdrawn by the organisations' owners in the app (団体のページ)."""

    list_display = ["organisation", "email", "role", "sent_at", "accepted_at", "withdrawn_at"]
    list_filter = ["role"]
    search_fields = ["organisation__name", "email"]
    list_select_related = ["organisation"]
    exclude = ["token_hash"]


@admin.register(StaffAccess)
class StaffAccessAdmin(RecordAdmin):
    """Staff's looks at others' unpublished assessments (access.py): read, never edited or deleted."""

    list_display = ["at", "username", "assessment_link", "organisation_name", "method", "path"]
    list_filter = ["username"]
    search_fields = ["username", "assessment_title", "organisation_name"]
    date_hierarchy = "at"
    list_select_related = ["assessment"]

    @admin.display(description=_("評価"), ordering="assessment_title")
    def assessment_link(self, record):
        if record.assessment_id is None:
            return record.assessment_title
        url = reverse("admin:assessments_assessment_change", args=[record.assessment_id])
        return format_html('<a href="{}">{}</a>', url, record.assessment_title)


# --- Users: the display name and the e-mail confirmation beside Django's own user admin ---------------

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin  # noqa: E402

from assessments.models import Profile  # noqa: E402


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ["display_name", "public_anonymous", "email_confirmed_at"]
    verbose_name_plural = _("表示名とメールアドレスの確認")


class UserWithProfileAdmin(DjangoUserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "display_name", "email", "email_confirmed", "is_staff", "is_active"]
    list_select_related = ["profile"]

    def get_inlines(self, request, obj):
        # A new user gets its (confirmed) profile from accounts.profile_for_new_user; edited afterwards.
        return self.inlines if obj is not None else []

    @admin.display(description=_("表示名"))
    def display_name(self, user):
        from assessments import people

        return people.display_name(user)

    @admin.display(description=_("メール確認済み"), boolean=True)
    def email_confirmed(self, user):
        from assessments import people

        return people.is_confirmed(user)


if admin.site.is_registered(get_user_model()):
    admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), UserWithProfileAdmin)


# --- Requests to the municipality ------------------------------------------------------------------

from assessments.models import DisclosureRule, MunicipalityRequest, Reply, ReplyDocument, RequestEvent, RequestItem  # noqa: E402


@admin.register(DisclosureRule)
class DisclosureRuleAdmin(admin.ModelAdmin):
    """The time limits of each municipality's 情報公開条例 and of 個人情報開示請求, with their source
    and whether they were checked (dxpia/fixtures/disclosure_limits.tsv is loaded by the seed)."""

    list_display = ["municipality", "decision_days", "extension_days", "start", "holiday_moves", "verified",
                    "pi_decision_days", "pi_extension_days", "pi_verified"]
    list_filter = ["verified", "pi_verified", "start", "holiday_moves"]
    search_fields = ["municipality__name", "municipality__code", "ordinance"]
    list_select_related = ["municipality"]
    fieldsets = [
        (_("情報公開請求"), {"fields": ["municipality", "ordinance", "article", "decision_days", "extension_days", "start",
                                   "holiday_moves", "year_end_closed", "source_url", "verified", "note"]}),
        (_("個人情報開示請求"), {"fields": ["pi_decision_days", "pi_extension_days", "pi_source", "pi_verified"]}),
    ]


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RequestItemInline(_ReadOnlyInline):
    model = RequestItem
    fields = ["kind", "position", "text", "answer"]
    readonly_fields = fields


class RequestEventInline(_ReadOnlyInline):
    model = RequestEvent
    fields = ["on", "kind", "note", "user", "created_at"]
    readonly_fields = fields


class ReplyInline(_ReadOnlyInline):
    model = Reply
    fields = ["received_on", "text", "user", "created_at"]
    readonly_fields = fields


@admin.register(MunicipalityRequest)
class MunicipalityRequestAdmin(admin.ModelAdmin):
    """Requests are recorded by their authors in the app; the admin shows them, and may only change
    whether one is published (for a complaint about published content)."""

    list_display = ["title", "kind", "assessment", "state", "sent_on", "due_on", "extended_due_on", "published"]
    list_filter = ["kind", "state", "published"]
    search_fields = ["title", "reference", "assessment__title"]
    list_select_related = ["assessment"]
    inlines = [RequestItemInline, RequestEventInline, ReplyInline]
    readonly_fields = ["assessment", "kind", "title", "addressed_to", "sent_on", "method", "reference", "received_on",
                       "reply_by", "period_days", "extension_days", "due_on", "extended_due_on", "clock_note", "state",
                       "note", "created_by", "created_at", "updated_at", "version"]
    fields = [*readonly_fields[:15], "published", *readonly_fields[15:]]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        obj.version += 1
        super().save_model(request, obj, form, change)


@admin.register(ReplyDocument)
class ReplyDocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "page", "date", "reply"]
    readonly_fields = ["reply", "position", "title", "page", "date", "url"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- The action plan (対応計画) -------------------------------------------------------------------------
from assessments.models import PlanChange, PlannedAction, PlanReminder  # noqa: E402


@admin.register(PlannedAction)
class PlannedActionAdmin(RecordAdmin):
    """Actions are recorded by the assessment's editors and reviewers in the app, with every change in
    PlanChange; the admin shows them read-only."""

    list_display = ["title", "assessment", "responsible", "due_on", "status", "required"]
    list_filter = ["status", "responsible", "required"]
    search_fields = ["title", "detail", "assessment__title"]
    list_select_related = ["assessment"]


@admin.register(PlanChange)
class PlanChangeAdmin(RecordAdmin):
    list_display = ["at", "assessment", "action_title", "kind", "from_status", "to_status", "user"]
    list_filter = ["kind"]
    list_select_related = ["assessment", "user"]


@admin.register(PlanReminder)
class PlanReminderAdmin(RecordAdmin):
    list_display = ["sent_at", "assessment", "action", "kind", "due_on", "recipients"]
    list_filter = ["kind"]
    list_select_related = ["assessment", "action"]


# The task queue's own admin (django-tasks-db) speaks English only, and its rows say nothing an
# administrator acts on: a render ahead that failed is made again by the next download. Operators
# read the queue with `manage.py shell` or the worker's log (README, "Reports rendered ahead").
from django_tasks_db.models import DBTaskResult  # noqa: E402

if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


from assessments.models import PlainFinding  # noqa: E402


@admin.register(PlainFinding)
class PlainFindingAdmin(admin.ModelAdmin):
    """The やさしい日本語 findings: reading aids beside the questions, editable even when the set is
    published (they change no answer, score or level; the public page and report show the new text)."""

    list_display = ("question_key", "answer_class", "text")
    list_filter = ("question__question_set", "answer_class")
    search_fields = ("question__key", "text")
    list_select_related = ("question",)
    raw_id_fields = ("question",)
    ordering = ("question__question_set", "question__section__position", "question__position", "answer_class")

    @admin.display(description=_("質問"), ordering="question__key")
    def question_key(self, finding):
        return finding.question.key
