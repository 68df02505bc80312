"""Risks as residents live them (リスク).

Two halves. The question set holds, as data frozen with it: the catalogue of resident-side harms
(``Harm``), the two 4-point scales (``RiskScaleStep``), the risk levels and the matrix that maps a
(severity, likelihood) pair to a level (``RiskLevel``, ``RiskMatrixCell``), and the rules that turn
answers into suggested risks (``SuggestionRule``). An assessment holds its register: the risks the
assessor recorded (``Risk``) and the suggestions they set aside with a reason (``DismissedSuggestion``).
The pure logic is in assessments/risk_levels.py and assessments/risk_rules.py.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from .assessments import Assessment
from .questionsets import FrozenAwareModel, FrozenAwareQuerySet, Question, QuestionSet, QuestionSetFrozen, _frozen_set_ids

SCALE_MAX = 6  # the scales' size is data (4 in dx-pia v3); more than 6 steps would not fit the map


class Harm(FrozenAwareModel):
    """A harm a resident can suffer from how their data is handled (監視・追跡, 目的外の利用 …)."""

    question_set = models.ForeignKey(QuestionSet, verbose_name=_("質問セット"), on_delete=models.CASCADE, related_name="harms")
    key = models.SlugField(_("キー"), max_length=40)
    label = models.CharField(_("名称"), max_length=100)
    explanation = models.TextField(_("説明"), help_text=_("住民にとって何が起きるかを、やさしい日本語で。"))
    source = models.TextField(_("出典"), blank=True, help_text=_("この害の出どころ（NIST の一覧、資料の懸念など）。"))
    position = models.PositiveSmallIntegerField(_("表示順"), default=0)

    objects = FrozenAwareQuerySet.as_manager()

    class Meta:
        ordering = ["question_set", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["question_set", "key"], name="harm_key_in_set")]
        verbose_name = _("住民にとっての害")
        verbose_name_plural = _("住民にとっての害")

    def __str__(self) -> str:
        return self.label

    def owning_set_id(self):
        return self.question_set_id


class RiskScaleStep(FrozenAwareModel):
    """One step of the severity or the likelihood scale, with the definition shown where it is chosen."""

    class Scale(models.TextChoices):
        SEVERITY = "severity", _("重大さ")
        LIKELIHOOD = "likelihood", _("起こりやすさ")

    question_set = models.ForeignKey(QuestionSet, verbose_name=_("質問セット"), on_delete=models.CASCADE, related_name="risk_scale_steps")
    scale = models.CharField(_("尺度"), max_length=12, choices=Scale.choices)
    value = models.PositiveSmallIntegerField(_("段階"), validators=[MinValueValidator(1), MaxValueValidator(SCALE_MAX)])
    label = models.CharField(_("名称"), max_length=40)
    description = models.TextField(_("定義"))

    objects = FrozenAwareQuerySet.as_manager()

    class Meta:
        ordering = ["question_set", "scale", "value"]
        constraints = [models.UniqueConstraint(fields=["question_set", "scale", "value"], name="risk_scale_step_in_set")]
        verbose_name = _("リスクの尺度の段階")
        verbose_name_plural = _("リスクの尺度の段階")

    def __str__(self) -> str:
        return f"{self.get_scale_display()} {self.value}: {self.label}"

    def owning_set_id(self):
        return self.question_set_id


class RiskLevel(FrozenAwareModel):
    """A risk level (低い … 非常に高い), lowest first."""

    question_set = models.ForeignKey(QuestionSet, verbose_name=_("質問セット"), on_delete=models.CASCADE, related_name="risk_levels")
    key = models.SlugField(_("キー"), max_length=40)
    label = models.CharField(_("名称"), max_length=40)
    description = models.TextField(_("説明"), blank=True)
    position = models.PositiveSmallIntegerField(_("順位（低い順）"), default=0)

    objects = FrozenAwareQuerySet.as_manager()

    class Meta:
        ordering = ["question_set", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["question_set", "key"], name="risk_level_key_in_set")]
        verbose_name = _("リスクの水準")
        verbose_name_plural = _("リスクの水準")

    def __str__(self) -> str:
        return self.label

    def owning_set_id(self):
        return self.question_set_id


class RiskMatrixCell(FrozenAwareModel):
    """The level of one (severity, likelihood) pair: the matrix is data, checked for symmetry and
    monotony before the set can be published (risk_levels.matrix_problems)."""

    question_set = models.ForeignKey(QuestionSet, verbose_name=_("質問セット"), on_delete=models.CASCADE, related_name="risk_matrix_cells")
    severity = models.PositiveSmallIntegerField(_("重大さ"), validators=[MinValueValidator(1), MaxValueValidator(SCALE_MAX)])
    likelihood = models.PositiveSmallIntegerField(_("起こりやすさ"), validators=[MinValueValidator(1), MaxValueValidator(SCALE_MAX)])
    level = models.ForeignKey(RiskLevel, verbose_name=_("水準"), on_delete=models.CASCADE, related_name="cells")

    objects = FrozenAwareQuerySet.as_manager()

    class Meta:
        ordering = ["question_set", "severity", "likelihood"]
        constraints = [models.UniqueConstraint(fields=["question_set", "severity", "likelihood"], name="risk_matrix_cell_in_set")]
        verbose_name = _("リスクの判定表の枡")
        verbose_name_plural = _("リスクの判定表")

    def __str__(self) -> str:
        return f"{self.severity}×{self.likelihood}"

    def owning_set_id(self):
        return self.question_set_id


class SuggestionRule(FrozenAwareModel):
    """「この回答の状態は、これらの害のリスクを示唆する。なぜなら…」: a rule as data.

    ``conditions`` is a list, each one of (risk_rules.parse_conditions checks them):
    ``{"question": key, "choices": [choice keys]}`` a chosen choice; ``{"question": key, "red_flag": true}``
    a chosen choice with a red flag; ``{"question": key, "marks": ["unknown", "not_disclosed"]}`` 不明 or
    未開示; ``{"inventory": {"sensitive": "yes", "necessity": "empty"}}`` inventory rows with all of
    these (yes/no fields: yes, no, unknown; text fields: empty, filled). ``match`` says whether any
    or all of them must hold.
    """

    class Match(models.TextChoices):
        ANY = "any", _("どれか1つ")
        ALL = "all", _("すべて")

    question_set = models.ForeignKey(QuestionSet, verbose_name=_("質問セット"), on_delete=models.CASCADE, related_name="suggestion_rules")
    key = models.SlugField(_("キー"), max_length=60)
    position = models.PositiveSmallIntegerField(_("表示順"), default=0)
    title = models.CharField(_("示唆するリスクの題名"), max_length=200)
    reason = models.TextField(_("理由"), help_text=_("なぜこの回答の状態がこれらの害につながりうるか。"))
    harms = models.ManyToManyField(Harm, verbose_name=_("害"), related_name="suggestion_rules")
    match = models.CharField(_("条件の合わせ方"), max_length=4, choices=Match.choices, default=Match.ANY)
    conditions = models.JSONField(_("条件"), default=list)

    objects = FrozenAwareQuerySet.as_manager()

    class Meta:
        ordering = ["question_set", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["question_set", "key"], name="suggestion_rule_key_in_set")]
        verbose_name = _("リスクの示唆の規則")
        verbose_name_plural = _("リスクの示唆の規則")

    def __str__(self) -> str:
        return f"{self.key}: {self.title}"

    def owning_set_id(self):
        return self.question_set_id

    def clean(self):
        super().clean()
        from assessments import risk_rules

        questions = {
            q.key: (q.type, frozenset(c.key for c in q.choices.all()))
            for q in Question.objects.filter(question_set_id=self.question_set_id).prefetch_related("choices")
        }
        _conditions, problems = risk_rules.parse_conditions(self.conditions, questions)
        if problems:
            raise ValidationError({"conditions": problems})


@receiver(m2m_changed, sender=SuggestionRule.harms.through)
def _refuse_rule_harms_change_when_frozen(sender, instance, action, pk_set, **kwargs):
    if action not in {"pre_add", "pre_remove", "pre_clear"}:
        return
    set_ids = {instance.owning_set_id()}
    if _frozen_set_ids(set_ids):
        raise QuestionSetFrozen()


class Risk(models.Model):
    """One risk of an assessment's register: which harms, resting on which answers and data items,
    how severe and how likely, what exists against it and what is expected after planned measures."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="risks")
    title = models.CharField(_("リスクの題名"), max_length=200)
    description = models.TextField(_("何が起きうるか"), blank=True)
    harms = models.ManyToManyField(Harm, verbose_name=_("住民にとっての害"), related_name="risks")
    questions = models.ManyToManyField(Question, verbose_name=_("根拠にした回答"), related_name="risks", blank=True)
    # Inventory rows are rewritten on every save of the inventory, so a risk names its data items
    # by the item's name (データ項目), which is what stays.
    data_items = models.JSONField(_("関係するデータ項目"), default=list, blank=True)
    severity = models.PositiveSmallIntegerField(_("重大さ"))
    likelihood = models.PositiveSmallIntegerField(_("起こりやすさ"))
    existing_measures = models.TextField(_("いまある対策"), blank=True)
    residual_severity = models.PositiveSmallIntegerField(_("対策後の重大さ"), null=True, blank=True)
    residual_likelihood = models.PositiveSmallIntegerField(_("対策後の起こりやすさ"), null=True, blank=True)
    residual_note = models.TextField(_("対策後の見込みの前提"), blank=True)
    # The suggestion rule this risk was accepted from, if any (its key in the assessment's set).
    origin_rule = models.CharField(_("元になった示唆"), max_length=60, blank=True)
    # Bumped by every save; a form based on an older version is refused (never silently overwritten).
    version = models.PositiveIntegerField(_("版数"), default=1)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("作成者"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("更新者"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["assessment", "pk"]
        verbose_name = _("リスク")
        verbose_name_plural = _("リスク")

    def __str__(self) -> str:
        return self.title

    @property
    def has_residual(self) -> bool:
        return self.residual_severity is not None and self.residual_likelihood is not None


class DismissedSuggestion(models.Model):
    """A suggestion the assessor set aside, with the reason and what it rested on at the time. It
    can be restored; a suggestion that has come to rest on more than was dismissed is shown again."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="dismissed_suggestions")
    rule_key = models.CharField(_("示唆の規則"), max_length=60)
    reason = models.TextField(_("見送る理由"))
    # {"questions": [keys], "items": [data item names]} when it was dismissed.
    basis = models.JSONField(_("見送ったときの根拠"), default=dict)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("見送った人"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    dismissed_at = models.DateTimeField(_("見送った日時"), auto_now_add=True)
    restored_at = models.DateTimeField(_("元に戻した日時"), null=True, blank=True)
    restored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("元に戻した人"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["assessment", "dismissed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "rule_key"], condition=Q(restored_at=None),
                                    name="one_active_dismissal_per_rule"),
        ]
        verbose_name = _("見送った示唆")
        verbose_name_plural = _("見送った示唆")

    def __str__(self) -> str:
        return f"{self.assessment_id}: {self.rule_key}"
