"""Questions and document requests put to the municipality, and what came back (質問・開示請求の追跡).

A MunicipalityRequest is one letter, 情報公開請求, 個人情報開示請求 or council question about an
assessment; its items are the questions (linked to the answers 不明/未開示 it asks about) and the
documents requested, with their text as sent; its events are its state changes; its replies what the
municipality answered, with the documents received. The due day is computed by
assessments.request_clock from the municipality's DisclosureRule (assessments.municipality_requests.schedule).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .assessments import Answer, Assessment
from .catalogue import Municipality


class DisclosureRule(models.Model):
    """The time limits of a municipality's 情報公開条例 and of 個人情報開示請求, with where they come
    from and whether they were checked. Loaded from dxpia/fixtures/disclosure_limits.tsv by the seed."""

    class Start(models.TextChoices):
        NEXT_DAY = "next_day", _("翌日起算")
        SAME_DAY = "same_day", _("当日起算")

    municipality = models.OneToOneField(
        Municipality, verbose_name=_("自治体"), on_delete=models.CASCADE, related_name="disclosure_rule"
    )
    ordinance = models.CharField(_("条例の題名"), max_length=200, blank=True)
    article = models.CharField(_("条項"), max_length=200, blank=True)
    decision_days = models.PositiveSmallIntegerField(_("決定の期限（日）"))
    extension_days = models.PositiveSmallIntegerField(_("延長できる日数"))
    start = models.CharField(_("期間の数え始め"), max_length=10, choices=Start.choices, default=Start.NEXT_DAY)
    holiday_moves = models.BooleanField(_("末日が休日なら翌開庁日まで"), default=True)
    year_end_closed = models.BooleanField(
        _("年末年始（12月29日〜1月3日）を休日とする"), default=True,
        help_text=_("期限の末日を休日として翌開庁日に送るとき、年末年始を休日に含めるか。"),
    )
    source_url = models.CharField(_("出典（URL）"), max_length=500, blank=True)
    verified = models.BooleanField(_("確認済み"), default=False)
    note = models.TextField(_("メモ"), blank=True)
    pi_decision_days = models.PositiveSmallIntegerField(_("個人情報開示: 決定の期限（日）"))
    pi_extension_days = models.PositiveSmallIntegerField(_("個人情報開示: 延長できる日数"))
    pi_source = models.CharField(_("個人情報開示: 出典"), max_length=500, blank=True)
    pi_verified = models.BooleanField(_("個人情報開示: 確認済み"), default=False)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        ordering = ["municipality__code"]
        verbose_name = _("開示決定の期限")
        verbose_name_plural = _("開示決定の期限")

    def __str__(self) -> str:
        return f"{self.municipality}: {self.decision_days}日＋{self.extension_days}日"


class MunicipalityRequest(models.Model):
    """One question letter, disclosure request or council question about an assessment."""

    class Kind(models.TextChoices):
        LETTER = "letter", _("質問書")
        DISCLOSURE = "disclosure", _("情報公開請求")
        PERSONAL = "personal", _("個人情報開示請求")
        COUNCIL = "council", _("議会質問")

    class AddressedTo(models.TextChoices):
        HEAD = "head", _("首長（市長・町長・村長）")
        EDUCATION = "education", _("教育長（教育委員会）")
        CHAIR = "chair", _("議長")
        OTHER = "other", _("その他")

    class Method(models.TextChoices):
        POST = "post", _("郵送")
        COUNTER = "counter", _("窓口")
        ONLINE = "online", _("電子申請")
        EMAIL = "email", _("メール")
        OTHER = "other", _("その他")

    class State(models.TextChoices):
        DRAFT = "draft", _("準備中")
        SENT = "sent", _("送付済み")
        WAITING = "waiting", _("回答待ち")
        EXTENDED = "extended", _("期限延長")
        ANSWERED = "answered", _("回答あり")
        PARTIAL = "partial", _("一部開示")
        REFUSED = "refused", _("不開示")
        NO_DOCUMENT = "no_document", _("文書不存在")
        WITHDRAWN = "withdrawn", _("取下げ")

    assessment = models.ForeignKey(Assessment, verbose_name=_("評価"), on_delete=models.CASCADE, related_name="municipality_requests")
    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices, default=Kind.LETTER)
    title = models.CharField(_("件名"), max_length=200)
    addressed_to = models.CharField(_("あて先"), max_length=20, choices=AddressedTo.choices, default=AddressedTo.HEAD)
    sent_on = models.DateField(_("送付日・提出日"), null=True, blank=True)
    method = models.CharField(_("方法"), max_length=20, choices=Method.choices, default=Method.POST)
    reference = models.CharField(_("受付番号・文書番号"), max_length=100, blank=True)
    received_on = models.DateField(
        _("自治体の受付日"), null=True, blank=True,
        help_text=_("送付日と違うとき（郵送など）。期限はこの日から数えます。"),
    )
    reply_by = models.DateField(_("回答の期限（質問書に書いた日）"), null=True, blank=True)
    # Computed by assessments.municipality_requests.schedule: the days used are kept, so that a later change of
    # the DisclosureRule does not move the due day of a request already made.
    period_days = models.PositiveSmallIntegerField(_("期限の日数"), null=True, blank=True, editable=False)
    extension_days = models.PositiveSmallIntegerField(_("延長の日数"), null=True, blank=True, editable=False)
    due_on = models.DateField(_("期限"), null=True, blank=True, editable=False)
    extended_due_on = models.DateField(_("延長後の期限"), null=True, blank=True)
    clock_note = models.CharField(_("期限の数え方"), max_length=500, blank=True, editable=False)
    state = models.CharField(_("状態"), max_length=20, choices=State.choices, default=State.DRAFT)
    published = models.BooleanField(_("公開ページに載せる"), default=False)
    note = models.TextField(_("メモ"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    # Bumped by every change; a form based on an older version is refused (never silently overwritten).
    version = models.PositiveIntegerField(_("版数"), default=0)

    OPEN_STATES = (State.SENT, State.WAITING, State.EXTENDED)
    CLOSED_STATES = (State.ANSWERED, State.PARTIAL, State.REFUSED, State.NO_DOCUMENT, State.WITHDRAWN)
    APPEALABLE_STATES = (State.PARTIAL, State.REFUSED, State.NO_DOCUMENT)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("自治体への質問・請求")
        verbose_name_plural = _("自治体への質問・請求")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

    @property
    def current_due(self):
        """The due day that counts now: the extended one once extended."""
        return self.extended_due_on or self.due_on

    def is_overdue(self, today) -> bool:
        from assessments.municipality_requests import is_overdue

        return is_overdue(self, today)

    @property
    def is_appealable(self) -> bool:
        """A decision on a request made under a law or an ordinance (情報公開・個人情報開示) is a 処分
        that 審査請求 can contest; a question letter's or a council question's answer is not."""
        return self.kind in (self.Kind.DISCLOSURE, self.Kind.PERSONAL) and self.state in self.APPEALABLE_STATES


class RequestItem(models.Model):
    """A question or a document a request covers, with its text as sent."""

    class Kind(models.TextChoices):
        QUESTION = "question", _("質問")
        DOCUMENT = "document", _("請求する文書")

    request = models.ForeignKey(MunicipalityRequest, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("区分"), max_length=20, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(default=0)
    # The answer (不明 or 未開示 when sent) a question asks about; null for documents.
    answer = models.ForeignKey(Answer, on_delete=models.SET_NULL, null=True, blank=True, related_name="request_items")
    text = models.TextField(_("送った文面"))

    class Meta:
        ordering = ["request", "-kind", "position", "pk"]  # questions, then documents
        verbose_name = _("質問・請求の項目")
        verbose_name_plural = _("質問・請求の項目")

    def __str__(self) -> str:
        return self.text[:60]


class RequestEvent(models.Model):
    """One state change of a request (or a recorded 期限超過), with its date, note and user."""

    class Kind(models.TextChoices):
        DRAFT = "draft", _("準備中")
        SENT = "sent", _("送付済み")
        WAITING = "waiting", _("回答待ち")
        EXTENDED = "extended", _("期限延長")
        OVERDUE = "overdue", _("期限超過")
        ANSWERED = "answered", _("回答あり")
        PARTIAL = "partial", _("一部開示")
        REFUSED = "refused", _("不開示")
        NO_DOCUMENT = "no_document", _("文書不存在")
        WITHDRAWN = "withdrawn", _("取下げ")

    request = models.ForeignKey(MunicipalityRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("状態"), max_length=20, choices=Kind.choices)
    on = models.DateField(_("日付"))
    note = models.TextField(_("メモ"), blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("記録日時"), default=timezone.now)

    class Meta:
        ordering = ["request", "on", "created_at", "pk"]
        verbose_name = _("質問・請求の経過")
        verbose_name_plural = _("質問・請求の経過")

    def __str__(self) -> str:
        return f"{self.on} {self.get_kind_display()}"


class Reply(models.Model):
    """What the municipality answered, against the items it answers."""

    request = models.ForeignKey(MunicipalityRequest, on_delete=models.CASCADE, related_name="replies")
    received_on = models.DateField(_("受け取った日"))
    text = models.TextField(_("回答の内容"), blank=True)
    items = models.ManyToManyField(RequestItem, verbose_name=_("回答した項目"), blank=True, related_name="replies")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("記録日時"), default=timezone.now)

    class Meta:
        ordering = ["request", "received_on", "pk"]
        verbose_name = _("自治体からの回答")
        verbose_name_plural = _("自治体からの回答")

    def __str__(self) -> str:
        return f"{self.received_on}: {self.text[:40]}"


class ReplyDocument(models.Model):
    """A document received with a reply. The URL is stored and shown as text, never fetched."""

    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="documents")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("資料名"), max_length=300)
    page = models.CharField(_("ページ"), max_length=50, blank=True)
    date = models.DateField(_("日付"), null=True, blank=True)
    url = models.CharField(_("URL"), max_length=2000, blank=True)

    class Meta:
        ordering = ["reply", "position", "pk"]
        verbose_name = _("受け取った文書")
        verbose_name_plural = _("受け取った文書")

    def __str__(self) -> str:
        return self.title


class RequestReminder(models.Model):
    """A reminder e-mail sent about a request: one per kind and due day, so that a daily run sends
    each once (and an extension, moving the due day, gets its own)."""

    class Kind(models.TextChoices):
        WEEK_BEFORE = "week_before", _("期限の1週間前")
        OVERDUE = "overdue", _("期限超過")

    request = models.ForeignKey(MunicipalityRequest, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices)
    due_on = models.DateField(_("期限"))
    recipients = models.PositiveSmallIntegerField(_("送った人数"), default=0)
    sent_at = models.DateTimeField(_("送信日時"), default=timezone.now)

    class Meta:
        ordering = ["request", "sent_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["request", "kind", "due_on"], name="one_reminder_per_due_day")]
        verbose_name = _("期限の通知")
        verbose_name_plural = _("期限の通知")

    def __str__(self) -> str:
        return f"{self.request}: {self.get_kind_display()} ({self.due_on})"
