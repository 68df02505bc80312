"""Organisations, the review body (審査体), the workflow and the history of every answer."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .assessments import Assessment
from .questionsets import Question, Section


class Organisation(models.Model):
    """A citizens' group, a council faction, a municipal department…: assessments belong to one."""

    name = models.CharField(_("名称"), max_length=200, unique=True)
    description = models.TextField(_("説明"), blank=True)
    # The person whose personal organisation this is (made for someone in no group yet). Found by
    # this key, never by the name: a user who renames keeps it, a later user with a reused name gets
    # a new one. When the person is deleted the link is cleared (SET_NULL) and it stays an ordinary
    # organisation with its assessments; it can never pass to another user.
    personal_for = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("個人の団体の本人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="personal_organisation",
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    # The review rule of this organisation's assessments: how many of the review body must come from
    # outside it (not members). 1 by default; a municipality's own review body may set another.
    min_outside_reviewers = models.PositiveSmallIntegerField(
        _("外部の審査委員の最少人数"), default=1,
        help_text=_("承認に必要な、この団体の構成員でない審査委員の人数。"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("団体")
        verbose_name_plural = _("団体")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        VIEWER = "viewer", _("閲覧者")
        EDITOR = "editor", _("編集者")
        OWNER = "owner", _("管理者")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("役割"), max_length=10, choices=Role.choices, default=Role.VIEWER)
    # Raised by every change of the role (assessments.groups): a form shown before a change is refused
    # instead of overwriting it.
    version = models.PositiveIntegerField(_("版数"), default=0, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="one_membership_per_user")]
        verbose_name = _("団体の構成員")
        verbose_name_plural = _("団体の構成員")

    def __str__(self) -> str:
        return f"{self.organisation}: {self.user} ({self.get_role_display()})"


class Reviewer(models.Model):
    """A member of an assessment's review body. Reviewers give opinions and comment; they never
    change answers."""

    class Kind(models.TextChoices):
        RESIDENT = "resident", _("住民委員")
        EXPERT = "expert", _("専門家")
        STAFF = "staff", _("自治体職員")
        COUNCIL = "council", _("議員")
        OTHER = "other", _("その他")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="reviewers")
    # Cleared when the reviewer deletes their account (the seat is withdrawn first, its opinions stay).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="reviews"
    )
    kind = models.CharField(_("区分"), max_length=20, choices=Kind.choices)
    # The reviewer's own choice: published pages and reports name them only if they agreed.
    named = models.BooleanField(_("公開する資料に氏名を載せることに同意"), default=False)
    # Set when the reviewer stopped being independent (e.g. changed an answer): the seat stays, with
    # its opinions, on the record, but counts no more in the review body.
    withdrawn_at = models.DateTimeField(_("審査委員から外れた日時"), null=True, blank=True, editable=False)
    withdrawn_reason = models.CharField(_("外れた理由"), max_length=200, blank=True, editable=False)
    # Whether the reviewer came from outside the organisation when the assessment was approved: the
    # published review body says so as approved, whoever joins or leaves the group afterwards.
    outside_at_approval = models.BooleanField(null=True, blank=True, editable=False)

    def clean(self):
        from assessments.reviewing import reviewer_conflict

        if self.assessment_id and self.user_id and self.withdrawn_at is None:
            reason = reviewer_conflict(self.assessment, self.user)
            if reason:
                raise ValidationError({"user": reason})

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None

    class Meta:
        ordering = ["assessment", "kind", "pk"]
        constraints = [models.UniqueConstraint(fields=["assessment", "user"], name="one_reviewer_seat")]
        verbose_name = _("審査委員")
        verbose_name_plural = _("審査委員")

    def __str__(self) -> str:
        return f"{self.user or _('退会した利用者')} ({self.get_kind_display()})"


class ReviewOpinion(models.Model):
    class Verdict(models.TextChoices):
        APPROPRIATE = "appropriate", _("妥当")
        CONDITIONAL = "conditional", _("条件付き妥当")
        RECONSIDER = "reconsider", _("要再検討")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="opinions")
    reviewer = models.ForeignKey(Reviewer, on_delete=models.CASCADE, related_name="opinions")
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text=_("空欄は全体への意見。")
    )
    verdict = models.CharField(_("意見"), max_length=20, choices=Verdict.choices)
    text = models.TextField(_("理由・条件"), blank=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    # reviewing.content_fingerprint of the assessment when the opinion was given: an opinion on
    # content that changed since counts no more towards approval until it is given again.
    fingerprint = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["assessment", "reviewer", "section__position"]
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "section"], name="one_opinion_per_section"),
            models.UniqueConstraint(
                fields=["reviewer"], condition=models.Q(section=None), name="one_overall_opinion"
            ),
        ]
        verbose_name = _("審査意見")
        verbose_name_plural = _("審査意見")


class Comment(models.Model):
    """A reviewer's or member's comment on a question, threaded by ``parent``."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="comments")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies")
    # Cleared when the author deletes their account: shown as 「退会した利用者」.
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField(_("コメント"))
    created_at = models.DateTimeField(_("投稿日時"), auto_now_add=True)

    class Meta:
        ordering = ["assessment", "created_at", "pk"]
        verbose_name = _("コメント")
        verbose_name_plural = _("コメント")


class StatusChange(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("変更前"), max_length=20)
    to_status = models.CharField(_("変更後"), max_length=20)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    note = models.TextField(_("メモ・理由"), blank=True)
    at = models.DateTimeField(_("日時"), auto_now_add=True)

    @property
    def from_label(self) -> str:
        return Assessment.Status(self.from_status).label

    @property
    def to_label(self) -> str:
        return Assessment.Status(self.to_status).label

    class Meta:
        ordering = ["assessment", "at", "pk"]
        verbose_name = _("状態の変更")
        verbose_name_plural = _("状態の変更")


class AnswerHistory(models.Model):
    """Every change to an answer: who, when, the old and the new value and note."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answer_history")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(_("日時"), auto_now_add=True)
    revision = models.PositiveIntegerField(_("版数"))
    old = models.JSONField(_("変更前"), null=True)
    new = models.JSONField(_("変更後"), null=True)

    class Meta:
        ordering = ["assessment", "question", "-revision", "-pk"]
        verbose_name = _("回答の変更履歴")
        verbose_name_plural = _("回答の変更履歴")


class ResidentViews(models.Model):
    """Whether residents and data subjects were heard, how, what they said and the response."""

    METHODS = ("説明会", "パブリックコメント", "アンケート", "意見交換会・ヒアリング", "こども向けの意見聴取", "その他")

    class Sought(models.TextChoices):
        YES = "yes", _("聴いた")
        NO = "no", _("聴いていない")
        UNKNOWN = "unknown", _("不明")

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="resident_views")
    sought = models.CharField(_("住民・当事者の意見を聴いたか"), max_length=10, choices=Sought.choices, default=Sought.UNKNOWN)
    methods = models.JSONField(_("方法"), default=list, blank=True)
    summary = models.TextField(_("寄せられた意見の要旨"), blank=True)
    response = models.TextField(_("意見への対応"), blank=True)
    reason_not_sought = models.TextField(_("聴かなかった理由"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("住民・当事者の意見")
        verbose_name_plural = _("住民・当事者の意見")


class ResidentViewsChange(models.Model):
    """Every change to the residents' views (as AnswerHistory for answers): who, when, old and new."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="resident_views_changes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(_("日時"), auto_now_add=True)
    old = models.JSONField(_("変更前"), null=True)
    new = models.JSONField(_("変更後"))

    @property
    def changed_labels(self) -> list[str]:
        """The names of the fields this change changed (意見の要旨, …)."""
        old = self.old or {}

        def empty(value):  # a field never filled in and a field left blank are the same
            return value in (None, "", [])

        return [str(ResidentViews._meta.get_field(name).verbose_name) for name in self.new
                if old.get(name) != self.new[name] and not (empty(old.get(name)) and empty(self.new[name]))]

    class Meta:
        ordering = ["assessment", "-at", "-pk"]
        verbose_name = _("住民・当事者の意見の変更履歴")
        verbose_name_plural = _("住民・当事者の意見の変更履歴")
