"""The action plan (対応計画) of an assessment and its review clock (見直しの時期).

A PlannedAction is one thing that should be done: what, by whom, by when, its status and, once done,
the source that shows it (title, URL, page, date: the URL is stored and shown as text, never
fetched). A reviewer may make an action a condition of approval (承認の条件). Every change is in
PlanChange, which keeps the action's title so that the record outlives a deleted action.
(``reviewing.Action`` is something else: a transition of the review workflow.)

A ReviewSchedule holds the review date the editors chose, with their reason; without one the date
follows from the question set's interval (assessments.plan_clock).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .assessments import Assessment
from .questionsets import Question
from .risks import Risk


class PlannedAction(models.Model):
    class Responsible(models.TextChoices):
        DEPARTMENT = "department", _("自治体の担当部署")
        VENDOR = "vendor", _("委託先（事業者）")
        COUNCIL = "council", _("議会")
        ASSESSOR = "assessor", _("評価した団体")
        OTHER = "other", _("その他")

    class Status(models.TextChoices):
        TODO = "todo", _("未着手")
        DOING = "doing", _("対応中")
        DONE = "done", _("完了")
        DECLINED = "declined", _("見送り")

    OPEN_STATUSES = (Status.TODO, Status.DOING)

    assessment = models.ForeignKey(Assessment, verbose_name=_("評価"), on_delete=models.CASCADE,
                                   related_name="planned_actions")
    title = models.CharField(_("すべきこと"), max_length=200)
    detail = models.TextField(_("内容・理由"), blank=True)
    responsible = models.CharField(_("だれが"), max_length=20, choices=Responsible.choices,
                                   default=Responsible.DEPARTMENT)
    responsible_name = models.CharField(_("部署・団体の名前"), max_length=200, blank=True)
    due_on = models.DateField(_("期限"), null=True, blank=True)
    status = models.CharField(_("状態"), max_length=20, choices=Status.choices, default=Status.TODO)
    declined_reason = models.TextField(_("見送りの理由"), blank=True)
    # The source that shows it was done (完了), stored like Evidence and ReplyDocument.
    done_on = models.DateField(_("完了した日"), null=True, blank=True)
    evidence_title = models.CharField(_("完了を示す資料"), max_length=300, blank=True)
    evidence_url = models.CharField(_("資料のURL"), max_length=2000, blank=True)
    evidence_page = models.CharField(_("資料のページ"), max_length=50, blank=True)
    evidence_date = models.DateField(_("資料の日付"), null=True, blank=True)
    # The question whose proposal it came from (the summary's 「対応計画に加える」), if any.
    question = models.ForeignKey(Question, verbose_name=_("元になった質問"), on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+")
    # The risk of the register it is a measure against (リスク → 対応), if any; deleting the risk keeps
    # the action.
    risk = models.ForeignKey(Risk, verbose_name=_("対応するリスク"), on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="actions")
    # 承認の条件: set and cleared only by a reviewer of the assessment (action_plan.action_require).
    required = models.BooleanField(_("承認の条件"), default=False)
    required_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    required_at = models.DateTimeField(_("承認の条件にした日時"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    # Bumped by every change; a form based on an older version is refused (never silently overwritten).
    version = models.PositiveIntegerField(_("版数"), default=0)

    class Meta:
        ordering = ["assessment", "due_on", "pk"]
        verbose_name = _("対応計画の項目")
        verbose_name_plural = _("対応計画の項目")

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def evidence_is_web_link(self) -> bool:
        return self.evidence_url.lower().startswith(("https://", "http://"))


class PlanChange(models.Model):
    """One change of an assessment's action plan or review date, with who, when and why."""

    class Kind(models.TextChoices):
        CREATED = "created", _("追加")
        EDITED = "edited", _("変更")
        STATUS = "status", _("状態の変更")
        REQUIRED = "required", _("承認の条件にした")
        UNREQUIRED = "unrequired", _("承認の条件を外した")
        DELETED = "deleted", _("削除")
        IMPORTED = "imported", _("ファイルから取り込み")
        REVIEW_DATE = "review_date", _("見直しの日の変更")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="plan_changes")
    action = models.ForeignKey(PlannedAction, on_delete=models.SET_NULL, null=True, blank=True, related_name="changes")
    action_title = models.CharField(_("項目"), max_length=200, blank=True)
    kind = models.CharField(_("変更"), max_length=20, choices=Kind.choices)
    from_status = models.CharField(_("前の状態"), max_length=20, blank=True)
    to_status = models.CharField(_("新しい状態"), max_length=20, blank=True)
    note = models.TextField(_("メモ・理由"), blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(_("日時"), default=timezone.now)

    class Meta:
        ordering = ["assessment", "-at", "-pk"]
        verbose_name = _("対応計画の変更記録")
        verbose_name_plural = _("対応計画の変更記録")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.get_kind_display()}: {self.action_title}"

    @property
    def from_label(self) -> str:
        return PlannedAction.Status(self.from_status).label if self.from_status in PlannedAction.Status.values else ""

    @property
    def to_label(self) -> str:
        return PlannedAction.Status(self.to_status).label if self.to_status in PlannedAction.Status.values else ""


class ReviewSchedule(models.Model):
    """The review date an assessment's editors chose instead of the question set's interval."""

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="review_schedule")
    review_on = models.DateField(_("次の見直しの日"), null=True, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    version = models.PositiveIntegerField(_("版数"), default=0)

    class Meta:
        verbose_name = _("見直しの日")
        verbose_name_plural = _("見直しの日")

    def __str__(self) -> str:
        return f"{self.assessment}: {self.review_on}"


class PlanReminder(models.Model):
    """A reminder e-mail about the plan or the review: one per action, kind and due day (an action due
    within a week, an overdue action), or per assessment and review date (見直し時期), so that a daily
    run sends each once."""

    class Kind(models.TextChoices):
        ACTION_WEEK_BEFORE = "action_week_before", _("対応の期限の1週間前")
        ACTION_OVERDUE = "action_overdue", _("対応の期限超過")
        REVIEW_DUE = "review_due", _("見直し時期")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="plan_reminders")
    action = models.ForeignKey(PlannedAction, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders")
    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices)
    due_on = models.DateField(_("期限・見直しの日"))
    recipients = models.PositiveSmallIntegerField(_("送った人数"), default=0)
    sent_at = models.DateTimeField(_("送信日時"), default=timezone.now)

    class Meta:
        ordering = ["assessment", "sent_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["action", "kind", "due_on"], condition=models.Q(action__isnull=False),
                                    name="one_action_reminder_per_due_day"),
            models.UniqueConstraint(fields=["assessment", "kind", "due_on"], condition=models.Q(action__isnull=True),
                                    name="one_review_reminder_per_date"),
        ]
        verbose_name = _("対応計画・見直しの通知")
        verbose_name_plural = _("対応計画・見直しの通知")

    def __str__(self) -> str:
        return f"{self.assessment}: {self.get_kind_display()} ({self.due_on})"
