"""Question sets: versioned, editable in admin while draft, frozen once published.

A published set is what assessments are answered against, so nothing in it may change afterwards
(ODK and LimeSurvey take the same line). A new version is made by cloning it as a draft.
The freeze is enforced here, at model level, as well as in the admin, so that no code path can
quietly rewrite a question an assessment was answered against.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.conf import settings
from django.db import models
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _


class QuestionSetFrozen(ValidationError):
    """Raised on any attempt to change a published or retired question set."""

    def __init__(self, question_set_label: str = ""):
        super().__init__(
            _("公開済み・廃止済みの質問セット%(label)sは変更できません。新しい版を複製して編集してください。"),
            code="frozen",
            params={"label": f"「{question_set_label}」" if question_set_label else ""},
        )


def _frozen_set_ids(set_ids) -> list[int]:
    return list(
        QuestionSet.objects.filter(pk__in=set_ids)
        .exclude(status=QuestionSet.Status.DRAFT)
        .values_list("pk", flat=True)
    )


class FrozenAwareQuerySet(models.QuerySet):
    """Bulk update/delete must not bypass the freeze either."""

    set_lookup = "question_set_id"

    def _refuse_if_frozen(self):
        set_ids = set(self.values_list(self.set_lookup, flat=True))
        if _frozen_set_ids(set_ids):
            raise QuestionSetFrozen()

    def update(self, **kwargs):
        self._refuse_if_frozen()
        return super().update(**kwargs)

    def delete(self):
        self._refuse_if_frozen()
        return super().delete()


class QuestionSetQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # A published set may only be retired; nothing else about a published or retired set changes.
        frozen = self.exclude(status=QuestionSet.Status.DRAFT)
        retiring = kwargs == {"status": QuestionSet.Status.RETIRED}
        if frozen.exists() and not (retiring and not frozen.filter(status=QuestionSet.Status.RETIRED).exists()):
            raise QuestionSetFrozen()
        return super().update(**kwargs)

    def delete(self):
        if self.exclude(status=QuestionSet.Status.DRAFT).exists():
            raise QuestionSetFrozen()
        return super().delete()

    def published(self):
        return self.filter(status=QuestionSet.Status.PUBLISHED)


class QuestionSet(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("下書き")
        PUBLISHED = "published", _("公開")
        RETIRED = "retired", _("廃止")

    key = models.SlugField(_("キー"), max_length=60)
    version = models.PositiveIntegerField(_("版"))
    title = models.CharField(_("題名"), max_length=200)
    description = models.TextField(_("説明"), blank=True)
    status = models.CharField(_("状態"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("公開日時"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    cloned_from = models.ForeignKey(
        "self", verbose_name=_("複製元"), null=True, blank=True, on_delete=models.SET_NULL, editable=False
    )

    # Screening thresholds (modelled on 特定個人情報保護評価 and the WP29 criteria): data, not code.
    persons_not_required_below = models.PositiveIntegerField(
        _("評価不要とする対象人数の上限（未満）"), default=1000
    )
    persons_small_band_from = models.PositiveIntegerField(
        _("取扱者数・重大事故で重点評価とする対象人数の下限（未確認の基準）"), default=10000
    )
    persons_priority_from = models.PositiveIntegerField(_("重点項目評価とする対象人数の下限"), default=100000)
    persons_full_from = models.PositiveIntegerField(_("全項目評価とする対象人数の下限"), default=300000)
    handlers_threshold = models.PositiveIntegerField(_("取扱者数の基準（委託先を含む）"), default=500)
    criteria_for_full = models.PositiveSmallIntegerField(_("詳細評価とする該当基準の数"), default=2)

    # Scoring: below this 確認率 (the share of scored answers that are neither 不明 nor 未開示) a
    # score's level is 「判定保留」 instead of the level of its percentage (scoring.score). Empty: no
    # such rule (v1, whose reports stay as they were).
    # The language the set is written in. Its assessments' reports and letters are in it, whatever
    # the interface language (issue 19): a translation of a set is a set of its own (a new key or
    # version with this field), frozen and versioned like any other.
    language = models.CharField(
        _("言語"), max_length=8, choices=settings.LANGUAGES, default="ja",
        help_text=_("質問セットを書いた言語です。この質問セットの評価報告書と質問書はこの言語になります。"),
    )
    min_confirmed_percent = models.PositiveSmallIntegerField(
        _("判定に必要な確認率（%）"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("得点のうち「不明」「未開示」でない回答の割合がこれ未満なら、評価レベルを「判定保留」とします。空欄なら判定保留にしません。"),
    )

    # The review clock of assessments made with this set (assessments.plan_clock): a review (見直し)
    # this many months after approval and a re-assessment (再評価) within this many years, as
    # 特定個人情報保護評価 asks (assessments.review_law). Empty: the defaults, 12 months and 5 years
    # (sets made before these fields, whose files do not name them, export as they always did).
    review_interval_months = models.PositiveSmallIntegerField(
        _("見直しの間隔（月）"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("承認（公開）から次の見直しまでの月数。空欄なら12か月（毎年の見直し）。"),
    )
    reassessment_interval_years = models.PositiveSmallIntegerField(
        _("再評価の間隔（年）"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("承認（公開）から再評価までの年数。空欄なら5年。"),
    )

    DEFAULT_REVIEW_INTERVAL_MONTHS = 12
    DEFAULT_REASSESSMENT_INTERVAL_YEARS = 5

    # How the risk scales and levels are to be read, and where they come from (empty: the set has no
    # risk part, as v1 and v2).
    risk_note = models.TextField(
        _("リスクの尺度と水準の説明・出典"), blank=True,
        help_text=_("重大さ・起こりやすさの尺度とリスクの水準の読み方と、その出典。"),
    )

    objects = QuestionSetQuerySet.as_manager()

    class Meta:
        ordering = ["key", "-version"]
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="questionset_key_version")]
        verbose_name = _("質問セット")
        verbose_name_plural = _("質問セット")

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def review_months(self) -> int:
        return self.review_interval_months or self.DEFAULT_REVIEW_INTERVAL_MONTHS

    @property
    def reassessment_years(self) -> int:
        return self.reassessment_interval_years or self.DEFAULT_REASSESSMENT_INTERVAL_YEARS

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT

    def save(self, *args, **kwargs):
        if self.pk:
            stored = QuestionSet.objects.filter(pk=self.pk).values().first()
            if stored and stored["status"] != self.Status.DRAFT:
                changed = {
                    field.attname
                    for field in self._meta.concrete_fields
                    if stored.get(field.attname) != getattr(self, field.attname)
                }
                retiring = stored["status"] == self.Status.PUBLISHED and self.status == self.Status.RETIRED
                if changed and not (changed == {"status"} and retiring):
                    raise QuestionSetFrozen(self.title)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if QuestionSet.objects.filter(pk=self.pk).exclude(status=self.Status.DRAFT).exists():
            raise QuestionSetFrozen(self.title)
        return super().delete(*args, **kwargs)


class FrozenAwareModel(models.Model):
    """A part of a question set: refuses to save or delete while its set (stored or new) is frozen.

    Each concrete part defines ``owning_set_id()``, the id of the question set it belongs to.
    """

    class Meta:
        abstract = True

    def _stored_set_id(self) -> int | None:
        """The set this part belongs to as stored (None for a new part)."""
        stored = type(self)._base_manager.filter(pk=self.pk).first() if self.pk else None
        return stored.owning_set_id() if stored is not None else None

    def _set_ids(self) -> set[int]:
        return {i for i in (self.owning_set_id(), self._stored_set_id()) if i is not None}

    def _moved_to_another_set(self, new_set_id) -> bool:
        """A stored part given another set: a section's questions would stay in the first set (and a
        published set's questions could then be deleted through the draft it moved to); a question
        would leave its conditions and answers behind. Sections and questions refuse it."""
        stored = self._stored_set_id()
        return stored is not None and stored != new_set_id

    def clean(self):
        # Reported as a form error in the admin instead of failing at save time.
        if _frozen_set_ids(self._set_ids()):
            raise QuestionSetFrozen()

    def save(self, *args, **kwargs):
        if _frozen_set_ids(self._set_ids()):
            raise QuestionSetFrozen()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if _frozen_set_ids(self._set_ids()):
            raise QuestionSetFrozen()
        return super().delete(*args, **kwargs)


class Level(FrozenAwareModel):
    """A protection level by score percentage (e.g. 良好 ≥ 80 %)."""

    question_set = models.ForeignKey(QuestionSet, verbose_name=_("質問セット"), on_delete=models.CASCADE, related_name="levels")
    key = models.SlugField(_("キー"), max_length=40)
    label = models.CharField(_("表示名"), max_length=60)
    min_percent = models.PositiveSmallIntegerField(_("下限（%）"), validators=[MaxValueValidator(100)])
    description = models.TextField(_("説明"), blank=True)
    position = models.PositiveSmallIntegerField(_("表示順"), default=0)

    objects = FrozenAwareQuerySet.as_manager()

    class Meta:
        ordering = ["question_set", "position", "-min_percent"]
        constraints = [models.UniqueConstraint(fields=["question_set", "key"], name="level_key_in_set")]
        verbose_name = _("評価レベル")
        verbose_name_plural = _("評価レベル")

    def __str__(self) -> str:
        return f"{self.label} (≥{self.min_percent}%)"

    def owning_set_id(self):
        return self.question_set_id


class ChangelogEntry(FrozenAwareModel):
    """One change of a question set and its reason (date, what, why), shown on the set's page.

    The log is cumulative: a new version starts as a copy of the last one, log included, and adds
    its own entries, so each version's page tells how it came to be.
    """

    question_set = models.ForeignKey(QuestionSet, verbose_name=_("質問セット"), on_delete=models.CASCADE, related_name="changelog")
    position = models.PositiveSmallIntegerField(_("表示順"), default=0)
    version = models.PositiveIntegerField(_("版"), help_text=_("この変更を加えた版"))
    date = models.DateField(_("日付"))
    what = models.TextField(_("変更内容"))
    why = models.TextField(_("理由"))

    objects = FrozenAwareQuerySet.as_manager()

    class Meta:
        ordering = ["question_set", "position", "pk"]
        verbose_name = _("変更履歴")
        verbose_name_plural = _("変更履歴")

    def __str__(self) -> str:
        return f"v{self.version} {self.date}: {self.what[:40]}"

    def owning_set_id(self):
        return self.question_set_id


class Section(FrozenAwareModel):
    question_set = models.ForeignKey(QuestionSet, verbose_name=_("質問セット"), on_delete=models.CASCADE, related_name="sections")
    key = models.SlugField(_("キー"), max_length=40)
    title = models.CharField(_("題名"), max_length=200)
    introduction = models.TextField(_("導入文"), blank=True)
    position = models.PositiveSmallIntegerField(_("表示順"), default=0)

    objects = FrozenAwareQuerySet.as_manager()

    class Meta:
        ordering = ["question_set", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["question_set", "key"], name="section_key_in_set")]
        verbose_name = _("節")
        verbose_name_plural = _("節")

    def __str__(self) -> str:
        return self.title

    def owning_set_id(self):
        return self.question_set_id

    def clean(self):
        super().clean()
        if self._moved_to_another_set(self.question_set_id):
            raise ValidationError({"question_set": SECTION_STAYS})

    def save(self, *args, **kwargs):
        if self._moved_to_another_set(self.question_set_id):
            raise ValidationError({"question_set": SECTION_STAYS})
        super().save(*args, **kwargs)


QUESTION_STAYS = _("質問は、作った質問セットの節のあいだでだけ移せます。")
SECTION_STAYS = _("節は、作った質問セットから別の質問セットへ移せません。別の版に同じ節が要るときは、その版に節を作ってください。")


class Question(FrozenAwareModel):
    class Type(models.TextChoices):
        SINGLE = "single", _("単一選択")
        MULTIPLE = "multiple", _("複数選択")
        TEXT = "text", _("短い文章")
        TEXTAREA = "textarea", _("長い文章")
        NUMBER = "number", _("数値")
        DATE = "date", _("日付")
        EVIDENCE = "evidence", _("根拠資料（出典）")
        INVENTORY = "inventory", _("データ項目一覧（棚卸し表）")

    CHOICE_TYPES = (Type.SINGLE, Type.MULTIPLE)

    class RiskCategory(models.TextChoices):
        TRANSPARENCY = "transparency", _("透明性・説明")
        CONSENT = "consent", _("同意・法的根拠")
        NECESSITY = "necessity", _("必要性・比例性")
        PURPOSE = "purpose", _("利用目的の限定")
        SECURITY = "security", _("安全管理")
        VENDOR = "vendor", _("委託・契約")
        INCIDENT = "incident", _("事故・障害対応")
        OVERSIGHT = "oversight", _("審査・監督")
        COST = "cost", _("財政・効果")
        AUTONOMY = "autonomy", _("自治・住民サービス")

    class ScreeningRole(models.TextChoices):
        NONE = "", _("（なし）")
        PERSONS_COVERED = "persons_covered", _("対象人数")
        HANDLERS = "handlers", _("取扱者数")
        SERIOUS_INCIDENT = "serious_incident", _("重大事故の有無")
        CRITERIA = "criteria", _("該当する基準")
        PERSONAL_DATA = "personal_data", _("個人情報の取扱いの有無")

    question_set = models.ForeignKey(
        QuestionSet, verbose_name=_("質問セット"), on_delete=models.CASCADE, related_name="questions", editable=False
    )
    section = models.ForeignKey(Section, verbose_name=_("節"), on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(_("キー"), max_length=60, help_text=_("質問セット内で一意。版をまたいで同じ質問には同じキー。"))
    text = models.TextField(_("質問文"))
    guidance = models.TextField(_("ガイダンス"), blank=True)
    basis = models.CharField(_("根拠"), max_length=300, blank=True)
    type = models.CharField(_("種類"), max_length=12, choices=Type.choices)
    required = models.BooleanField(_("必須"), default=False)
    position = models.PositiveSmallIntegerField(_("表示順"), default=0)
    unit = models.CharField(_("単位"), max_length=20, blank=True)
    # A number outside this range is kept but flagged 「値を確認してください」 (never refused).
    plausible_min = models.DecimalField(
        _("想定される最小値"), max_digits=18, decimal_places=3, null=True, blank=True,
        help_text=_("数値の質問で、これより小さい回答に「値を確認してください」と表示する。"),
    )
    plausible_max = models.DecimalField(
        _("想定される最大値"), max_digits=18, decimal_places=3, null=True, blank=True,
        help_text=_("数値の質問で、これより大きい回答に「値を確認してください」と表示する。"),
    )
    risk_weight = models.PositiveSmallIntegerField(_("重み"), default=1, validators=[MaxValueValidator(10)])
    risk_category = models.CharField(_("リスク分類"), max_length=20, choices=RiskCategory.choices, blank=True)
    screening_role = models.CharField(
        _("スクリーニングでの役割"), max_length=20, choices=ScreeningRole.choices, blank=True, default=""
    )
    municipality_question = models.TextField(
        _("自治体への質問"), blank=True, help_text=_("回答が「不明」「未開示」のとき自治体に尋ねる文。")
    )
    proposal = models.TextField(
        _("提案"),
        blank=True,
        help_text=_("回答が弱い（未実施・一部・不明・未開示）とき、評価報告書で自治体に提案する内容。"),
    )
    documents_to_request = models.TextField(
        _("請求する文書"), blank=True, help_text=_("情報公開請求で求める文書。1行に1件。")
    )
    condition_question = models.ForeignKey(
        "self",
        verbose_name=_("表示条件の質問"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dependent_questions",
    )
    condition_choices = models.ManyToManyField(
        "Choice",
        verbose_name=_("表示条件の選択肢"),
        blank=True,
        related_name="enables_questions",
        help_text=_("表示条件の質問でこれらのいずれかが選ばれたときだけ、この質問を表示する。"),
    )

    objects = FrozenAwareQuerySet.as_manager()

    class Meta:
        ordering = ["question_set", "section__position", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["question_set", "key"], name="question_key_in_set")]
        verbose_name = _("質問")
        verbose_name_plural = _("質問")

    def __str__(self) -> str:
        return f"{self.key}: {self.text[:40]}"

    def owning_set_id(self):
        return self.question_set_id

    def save(self, *args, **kwargs):
        if self.section_id:
            new_set_id = Section.objects.filter(pk=self.section_id).values_list("question_set_id", flat=True).get()
            if self._moved_to_another_set(new_set_id):
                raise ValidationError({"section": QUESTION_STAYS})
            self.question_set_id = new_set_id
        super().save(*args, **kwargs)

    @property
    def is_choice(self) -> bool:
        return self.type in self.CHOICE_TYPES

    def document_list(self) -> list[str]:
        return [line.strip() for line in self.documents_to_request.splitlines() if line.strip()]

    def clean(self):
        super().clean()
        own_set_id = self.section.question_set_id if self.section_id else self.question_set_id
        if self._moved_to_another_set(own_set_id):
            raise ValidationError({"section": QUESTION_STAYS})
        if self.key and own_set_id and (
            Question.objects.filter(question_set_id=own_set_id, key=self.key).exclude(pk=self.pk).exists()
        ):
            raise ValidationError({"key": _("このキーは質問セット内で既に使われています。")})
        if not self.condition_question_id:
            return
        condition = self.condition_question
        if condition.pk == self.pk:
            raise ValidationError({"condition_question": _("自分自身を表示条件にはできません。")})
        if condition.question_set_id != own_set_id:
            raise ValidationError({"condition_question": _("表示条件の質問は同じ質問セットの質問にしてください。")})
        if not condition.is_choice:
            raise ValidationError({"condition_question": _("表示条件の質問は選択式の質問にしてください。")})


class ChoiceQuerySet(FrozenAwareQuerySet):
    set_lookup = "question__question_set_id"


class Choice(FrozenAwareModel):
    class Meaning(models.TextChoices):
        ANSWER = "answer", _("回答")
        UNKNOWN = "unknown", _("不明")
        NOT_DISCLOSED = "not_disclosed", _("未開示")
        NOT_APPLICABLE = "not_applicable", _("該当なし")

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    key = models.SlugField(_("キー"), max_length=40)
    label = models.CharField(_("表示名"), max_length=200)
    score = models.SmallIntegerField(_("点数"), null=True, blank=True, help_text=_("空欄は採点の対象外。"))
    position = models.PositiveSmallIntegerField(_("表示順"), default=0)
    meaning = models.CharField(_("意味"), max_length=20, choices=Meaning.choices, default=Meaning.ANSWER)
    red_flag = models.CharField(
        _("警告"), max_length=300, blank=True, help_text=_("この選択肢が選ばれたときに示す重大な懸念。")
    )

    objects = ChoiceQuerySet.as_manager()

    class Meta:
        # By the question's id, not "question" (the question's own order): that joined the question,
        # its set and its section into every query of choices, and on PostgreSQL, once the statistics
        # said those tables were empty, the prefetch of the display conditions' choices took 9–10 s
        # (seen in the test suite, whose writes are rolled back). The choices of one question come
        # in the same order either way; a list across questions orders itself (admin.py).
        ordering = ["question_id", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["question", "key"], name="choice_key_in_question")]
        verbose_name = _("選択肢")
        verbose_name_plural = _("選択肢")

    def __str__(self) -> str:
        return f"{self.question.key}: {self.label}" if self.question_id else self.label

    def owning_set_id(self):
        if not self.question_id:
            return None
        return Question._base_manager.filter(pk=self.question_id).values_list("question_set_id", flat=True).first()


@receiver(m2m_changed, sender=Question.condition_choices.through)
def _refuse_condition_change_when_frozen(sender, instance, action, pk_set, **kwargs):
    if action not in {"pre_add", "pre_remove", "pre_clear"}:
        return
    if isinstance(instance, Question):
        set_ids = {instance.question_set_id}
    else:  # reverse side: a Choice's enables_questions
        set_ids = {instance.owning_set_id()}
    if _frozen_set_ids(set_ids):
        raise QuestionSetFrozen()


class PlainFinding(models.Model):
    """A question's finding in やさしい日本語 for one answer class (issue 19): short sentences written
    by hand, shown on a published assessment's public page and in its plain summary.

    A reading aid, not part of what a question asks or how it scores: it is kept beside the frozen
    question (so it can be improved after publication, in the admin or in ``dxpia/fixtures/plain/``
    fixture) and does not change any answer, score or level."""

    class AnswerClass(models.TextChoices):
        PROTECTED = "protected", _("守られている")
        PARTLY = "partly", _("一部だけ")
        NOT = "not", _("守られていない")
        KNOWN = "known", _("分かっている（点数のない質問）")
        UNKNOWN = "unknown", _("不明")
        NOT_DISCLOSED = "not_disclosed", _("未開示")

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="plain_findings")
    answer_class = models.CharField(_("回答の分類"), max_length=20, choices=AnswerClass.choices)
    text = models.TextField(_("やさしい日本語の文"))

    class Meta:
        verbose_name = _("やさしい日本語の文")
        verbose_name_plural = _("やさしい日本語の文")
        constraints = [
            models.UniqueConstraint(fields=["question", "answer_class"], name="one_plain_finding_per_class"),
        ]

    def __str__(self) -> str:
        return f"{self.question.key} {self.answer_class}"
