"""Assessments and their answers: what a resident, council member or staff member records."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .catalogue import Project
from .questionsets import Question, QuestionSet


class Assessment(models.Model):
    class Standpoint(models.TextChoices):
        RESIDENT = "resident", _("住民・団体")
        COUNCIL = "council", _("議員")
        STAFF = "staff", _("自治体職員")
        OTHER = "other", _("その他")

    class Status(models.TextChoices):
        DRAFT = "draft", _("作成中")
        SUBMITTED = "submitted", _("提出済み")
        IN_REVIEW = "in_review", _("審査中")
        RETURNED = "returned", _("差し戻し")
        APPROVED = "approved", _("承認済み")
        PUBLISHED = "published", _("公開中")

    EDITABLE_STATUSES = (Status.DRAFT, Status.RETURNED)

    project = models.ForeignKey(Project, verbose_name=_("事業"), on_delete=models.PROTECT, related_name="assessments")
    question_set = models.ForeignKey(
        QuestionSet, verbose_name=_("質問セット"), on_delete=models.PROTECT, related_name="assessments"
    )
    # Cleared when the author deletes their account: what they published or submitted stays,
    # attributed to its organisation (people.public_author).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("作成者"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="assessments",
    )
    organisation = models.ForeignKey(
        "Organisation", verbose_name=_("団体"), on_delete=models.PROTECT, related_name="assessments"
    )
    title = models.CharField(_("評価の題名"), max_length=200)
    standpoint = models.CharField(_("評価者の立場"), max_length=20, choices=Standpoint.choices)
    status = models.CharField(_("状態"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    # Bumped by every save; a save based on an older revision is checked for conflicts.
    revision = models.PositiveIntegerField(_("版数"), default=0)
    # What the answers hold, counted by answer_saving.content_size; kept by answer_saving with
    # every save, which refuses to take it past answer_saving.CONTENT_BUDGET.
    content_size = models.PositiveIntegerField(_("記録量（字）"), default=0, editable=False)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    published_at = models.DateTimeField(_("公開日時"), null=True, blank=True)
    # The demonstration (assessments/demo.py): its report and letter say so on every page.
    is_demo = models.BooleanField(_("デモ"), default=False, editable=False)
    # The state the review body approved: the revision and a fingerprint of answers, inventory,
    # sources and residents' views (reviewing.content_fingerprint). Shown on the public page and
    # the report; a material change after approval sends the assessment back to review.
    approved_revision = models.PositiveIntegerField(_("承認した版"), null=True, blank=True, editable=False)
    approved_fingerprint = models.CharField(_("承認した内容の指紋"), max_length=64, blank=True, editable=False)
    approved_at = models.DateTimeField(_("承認日時"), null=True, blank=True, editable=False)
    # The overall result, kept with the assessment so that lists and the dashboard need no scoring.
    overall_percent = models.FloatField(_("総合得点率"), null=True, blank=True, editable=False)
    overall_level = models.CharField(_("総合評価"), max_length=60, blank=True, editable=False)
    # Per section {"percent", "level"}, and the counts of 不明 and 未開示 answers.
    result_summary = models.JSONField(_("評価の要約"), default=dict, blank=True, editable=False)
    # Re-assessment (再評価, assessments/reassessment.py): the earlier assessment this one was started
    # from (cleared if that one is deleted) and the record of what was carried over from it and what
    # was not, with the reasons, as it was when this one was started.
    previous = models.ForeignKey(
        "self", verbose_name=_("前回の評価"), on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="reassessments",
    )
    carry_over = models.JSONField(_("前回からの引き継ぎ"), default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("評価")
        verbose_name_plural = _("評価")

    def __str__(self) -> str:
        return self.title

    @property
    def answers_editable(self) -> bool:
        """Answers are read-only from submission until the assessment is returned."""
        return self.status in self.EDITABLE_STATUSES


class Answer(models.Model):
    """One question's answer. ``value`` is the cleaned value (see ``answer_values.clean_answer``):
    a choice key, a list of keys, text, a number as a decimal string, an ISO date, or null for
    evidence and inventory questions, whose content is in their rows."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.JSONField(_("回答"), null=True, blank=True)
    note = models.TextField(_("補足（分かっていること）"), blank=True)
    # The question and chosen choices as shown when the answer was given (never changes afterwards).
    snapshot = models.JSONField(_("回答時の質問"), default=dict)
    revision = models.PositiveIntegerField(_("更新時の版数"), default=0)
    # Each part of an answer has its own version, bumped when that part changes. A save names the
    # version of each part it was based on; an older base than the stored one is a conflict for
    # that part only (answer_saving.answers_save).
    value_version = models.PositiveIntegerField(_("回答の版"), default=0)
    note_version = models.PositiveIntegerField(_("補足の版"), default=0)
    evidence_version = models.PositiveIntegerField(_("資料の版"), default=0)
    rows_version = models.PositiveIntegerField(_("データ項目の版"), default=0)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # 「前回の回答」: carried over from the previous assessment by a re-assessment and not yet confirmed
    # by its assessors (confirming it, or saving any change to it, clears this; reassessment.py).
    carried = models.BooleanField(_("前回の回答（未確認）"), default=False, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "question"], name="one_answer_per_question")]
        verbose_name = _("回答")
        verbose_name_plural = _("回答")

    def __str__(self) -> str:
        return f"{self.assessment_id}/{self.question_id}"


class Evidence(models.Model):
    """A source for an answer. The URL is stored and shown as text; the app never fetches it."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="evidence")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("資料名"), max_length=300)
    url = models.CharField(_("URL"), max_length=2000, blank=True)
    page = models.CharField(_("ページ"), max_length=50, blank=True)
    date = models.DateField(_("日付"), null=True, blank=True)
    note = models.TextField(_("メモ"), blank=True)

    class Meta:
        ordering = ["answer", "position", "pk"]
        verbose_name = _("根拠資料")
        verbose_name_plural = _("根拠資料")

    def __str__(self) -> str:
        return self.title

    @property
    def is_web_link(self) -> bool:
        return self.url.lower().startswith(("https://", "http://"))


class InventoryRow(models.Model):
    """A row of the data inventory (データ棚卸し表), attached to the inventory question's answer."""

    class YesNo(models.TextChoices):
        YES = "yes", _("はい")
        NO = "no", _("いいえ")
        UNKNOWN = "unknown", _("不明")

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="inventory_rows")
    position = models.PositiveSmallIntegerField(default=0)
    data_item = models.CharField(_("データ項目"), max_length=200)
    category = models.CharField(_("区分"), max_length=100, blank=True)
    held_by = models.CharField(_("保有部署・元のシステム"), max_length=200, blank=True)
    purpose = models.CharField(_("利用目的・活用類型"), max_length=300, blank=True)
    legal_basis = models.CharField(_("法的根拠"), max_length=300, blank=True)
    sensitive = models.CharField(_("要配慮個人情報"), max_length=10, choices=YesNo.choices, default=YesNo.UNKNOWN)
    children = models.CharField(_("こどものデータ"), max_length=10, choices=YesNo.choices, default=YesNo.UNKNOWN)
    necessity = models.TextField(_("目的に必要な理由"), blank=True)
    retention = models.CharField(_("保存期間"), max_length=200, blank=True)
    shared_with_vendor = models.CharField(
        _("委託先との共有"), max_length=10, choices=YesNo.choices, default=YesNo.UNKNOWN
    )
    note = models.TextField(_("メモ（資料上の注記など）"), blank=True)

    class Meta:
        ordering = ["answer", "position", "pk"]
        verbose_name = _("データ項目の行")
        verbose_name_plural = _("データ項目の行")

    def __str__(self) -> str:
        return self.data_item

    @property
    def problems(self) -> list[str]:
        """What a reviewer should see about this row: 要配慮個人情報 with no stated necessity or
        no legal basis for using it."""
        if self.sensitive != self.YesNo.YES:
            return []
        problems = []
        if not self.necessity.strip():
            problems.append(_("要配慮個人情報「%(item)s」について、目的に必要な理由が書かれていません。") % {"item": self.data_item})
        if not self.legal_basis.strip():
            problems.append(_("要配慮個人情報「%(item)s」について、法的根拠（同意または法令）が書かれていません。") % {"item": self.data_item})
        return problems

    @property
    def flagged(self) -> bool:
        return self.lacks_basis(self.sensitive, self.necessity, self.legal_basis)

    @classmethod
    def lacks_basis(cls, sensitive: str, necessity: str, legal_basis: str) -> bool:
        """The rule of ``problems``, on plain values (the section page applies it to what it shows):
        要配慮個人情報 without a stated necessity or without a legal basis."""
        return sensitive == cls.YesNo.YES and not (necessity.strip() and legal_basis.strip())


class StaffAccess(models.Model):
    """One look by a staff member at an unpublished assessment that they reach only as staff (not
    as a member of its organisation nor as its reviewer); access.get_assessment_for_request records
    it and the admin shows it read-only. The user name and title are copied, so the record stays
    readable after either is changed or deleted."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("職員"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    username = models.CharField(_("ユーザー名"), max_length=150)
    assessment = models.ForeignKey(
        Assessment, verbose_name=_("評価"), on_delete=models.SET_NULL, null=True, related_name="staff_accesses"
    )
    assessment_title = models.CharField(_("評価の題名"), max_length=200)
    organisation_name = models.CharField(_("団体"), max_length=200)
    method = models.CharField(_("方法"), max_length=10)
    path = models.CharField(_("開いたページ"), max_length=500)
    at = models.DateTimeField(_("日時"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("職員による閲覧の記録")
        verbose_name_plural = _("職員による閲覧の記録")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username}: {self.assessment_title}"


class LetterDetails(models.Model):
    """What the author chooses when making the letter to the municipality: its form, the sender and
    the reply-by date. The letter prints these, never the author's login name."""

    class Form(models.TextChoices):
        LETTER = "letter", _("首長（教育長）あての質問書")
        COUNCIL = "council", _("議会の一般質問の通告書（案）")

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="letter_details")
    form = models.CharField(_("様式"), max_length=20, choices=Form.choices, default=Form.LETTER)
    addressed_to = models.CharField(
        _("あて先"), max_length=20, choices=Project.ResponsibleBody.choices, default=Project.ResponsibleBody.HEAD,
        help_text=_("事業を所管する機関。学校・教育委員会の事業は教育委員会（教育長あて）。"),
    )
    sender_name = models.CharField(_("差出人の氏名"), max_length=100, blank=True)
    sender_organisation = models.CharField(_("差出人の団体・役職"), max_length=200, blank=True)
    sender_contact = models.CharField(
        _("連絡先"), max_length=300, blank=True, help_text=_("回答の送り先（住所、メールアドレス、電話番号など）。"),
    )
    reply_by = models.DateField(_("回答の期限"), null=True, blank=True)
    # Bumped by every save; a form based on an older version is refused (never silently overwritten).
    version = models.PositiveIntegerField(_("版数"), default=0)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("質問書の設定")
        verbose_name_plural = _("質問書の設定")

    def reply_by_ahead(self, today):
        """The reply-by day as the letter dated ``today`` prints it: only a day after ``today`` (a day
        that has passed is left out of the letter and of the request recorded from it)."""
        return self.reply_by if self.reply_by and self.reply_by > today else None

    def __str__(self) -> str:
        return f"{self.assessment}: {self.get_form_display()}"
