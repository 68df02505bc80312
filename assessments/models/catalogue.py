"""The catalogue: Saitama's municipalities and the DX projects named in the source material."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from assessments.codes import validate_local_government_code


class Municipality(models.Model):
    class Kind(models.TextChoices):
        DESIGNATED_CITY = "designated_city", _("政令指定都市")
        CITY = "city", _("市")
        TOWN = "town", _("町")
        VILLAGE = "village", _("村")

    code = models.CharField(
        _("団体コード"), max_length=6, unique=True, validators=[validate_local_government_code]
    )
    name = models.CharField(_("名称"), max_length=20, unique=True)
    kind = models.CharField(_("種別"), max_length=20, choices=Kind.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("自治体")
        verbose_name_plural = _("自治体")

    def __str__(self) -> str:
        return self.name

    @property
    def head_title(self) -> str:
        """The title of the municipality's head, to whom a question letter is addressed."""
        return {
            self.Kind.TOWN: "町長",
            self.Kind.VILLAGE: "村長",
        }.get(self.kind, "市長")


class Category(models.Model):
    key = models.SlugField(_("キー"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40, unique=True)
    position = models.PositiveSmallIntegerField(_("表示順"), default=0)

    class Meta:
        ordering = ["position", "key"]
        verbose_name = _("分類")
        verbose_name_plural = _("分類")

    def __str__(self) -> str:
        return self.name


class Source(models.Model):
    """A source document or table that projects are taken from (e.g. the TYPE I adoption list)."""

    key = models.SlugField(_("キー"), max_length=60, unique=True)
    title = models.CharField(_("題名"), max_length=200)
    stated_total_thousand_yen = models.PositiveIntegerField(
        _("資料に記載の合計（千円）"), null=True, blank=True
    )
    note = models.TextField(_("注記"), blank=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("出典")
        verbose_name_plural = _("出典")

    def __str__(self) -> str:
        return self.title


# PostgreSQL's integer and smallint ranges, stated on the fields so that SQLite (whose integers are
# 64-bit whatever the field) refuses the same numbers: a database moved to PostgreSQL never meets a
# number it cannot hold.
MAX_INTEGER = 2_147_483_647
MAX_SMALL_INTEGER = 32_767


class Project(models.Model):
    class ResponsibleBody(models.TextChoices):
        HEAD = "head", _("首長部局（市長・町長・村長）")
        EDUCATION = "education", _("教育委員会（教育長）")

    class Kind(models.TextChoices):
        GRANT_TABLE = "grant_table", _("交付金採択事業一覧")
        CASE_STUDY = "case_study", _("事例")
        OTHER = "other", _("その他")

    key = models.SlugField(_("キー"), max_length=60, unique=True)
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        help_text=_("資料が自治体を特定していない事例では空欄。"),
    )
    title = models.CharField(_("事業名"), max_length=200)
    program = models.CharField(_("制度・交付金"), max_length=200, blank=True)
    # From the Local Autonomy Act (1947) to a horizon no grant list reaches: a typo such as 20222 is
    # refused here, in the admin and in the CSV import, instead of breaking every page that shows it.
    fiscal_year = models.PositiveSmallIntegerField(
        _("年度（西暦）"), null=True, blank=True, validators=[MinValueValidator(1947), MaxValueValidator(2100)]
    )
    budget_note = models.CharField(_("予算の区分"), max_length=200, blank=True)
    amount_thousand_yen = models.PositiveIntegerField(
        _("採択額（千円）"), null=True, blank=True, help_text=_("資料に記載がない場合は空欄（不明）。"),
        validators=[MaxValueValidator(MAX_INTEGER)],
    )
    derived_amount_thousand_yen = models.PositiveIntegerField(
        _("推定額（千円）"),
        null=True,
        blank=True,
        help_text=_("資料から計算で推定した額。確認された額ではないため合計には含めない。"),
        validators=[MaxValueValidator(MAX_INTEGER)],
    )
    amount_note = models.TextField(_("金額の出典・注記"), blank=True)
    source_row = models.PositiveSmallIntegerField(
        _("資料の表の行番号"), null=True, blank=True, validators=[MaxValueValidator(MAX_SMALL_INTEGER)]
    )
    source_note = models.TextField(_("資料からの訂正"), blank=True)
    kind = models.CharField(_("出典の種類"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    source = models.ForeignKey(
        Source, verbose_name=_("出典"), null=True, blank=True, on_delete=models.PROTECT, related_name="projects"
    )
    categories = models.ManyToManyField(Category, verbose_name=_("分類"), related_name="projects", blank=True)
    description = models.TextField(_("概要"), blank=True)
    responsible_body = models.CharField(
        _("所管"), max_length=20, choices=ResponsibleBody.choices, default=ResponsibleBody.HEAD,
        help_text=_("質問書のあて先。学校・教育委員会の事業は教育委員会（教育長あて）。"),
    )

    class Meta:
        ordering = ["kind", "source_row", "key"]
        verbose_name = _("事業")
        verbose_name_plural = _("事業")

    def __str__(self) -> str:
        if self.municipality_id:
            return f"{self.municipality.name} {self.title}"
        return self.title


class DataItem(models.Model):
    """A data item the source material says a project collects or links (データ項目)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="data_items")
    position = models.PositiveSmallIntegerField(_("表示順"), default=0)
    group = models.CharField(_("区分"), max_length=60, blank=True)
    name = models.CharField(_("データ項目"), max_length=200)
    use_types = models.JSONField(_("活用類型"), default=list, blank=True)
    vendor = models.CharField(_("ベンダー"), max_length=200, blank=True)
    note = models.CharField(_("注記"), max_length=300, blank=True)

    class Meta:
        ordering = ["project", "position"]
        verbose_name = _("データ項目")
        verbose_name_plural = _("データ項目")

    def __str__(self) -> str:
        return self.name


class Partner(models.Model):
    """A partner the source material lists for a project (e.g. 戸田市 SEEP's companies, universities),
    as the source names it. ``listed`` counts how often the source's list names it (some twice)."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("民間営利企業")
        ORGANISATION = "organisation", _("社団・財団・NPO等")
        UNIVERSITY = "university", _("大学")
        PUBLIC_BODY = "public_body", _("行政機関")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="partners")
    position = models.PositiveSmallIntegerField(_("表示順"), default=0)
    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=200)
    listed = models.PositiveSmallIntegerField(_("資料の一覧に載った回数"), default=1)

    class Meta:
        ordering = ["project", "position"]
        verbose_name = _("連携先")
        verbose_name_plural = _("連携先")

    def __str__(self) -> str:
        return self.name


class Topic(models.Model):
    """A point the source material raises that one project's row cannot hold (論点): the 総点検, the
    ガバメントクラウド deadline, 戸田市's approvals under its old ordinance… ``quote`` is the source's own
    words, verbatim; ``summary`` is dxpia's paraphrase (no 「」 except around words quoted). The
    questions that ask about it are named by key and looked up in the question set shown."""

    key = models.SlugField(_("キー"), max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(_("表示順"), default=0)
    title = models.CharField(_("題名"), max_length=200)
    summary = models.TextField(_("説明"))
    quote = models.TextField(_("資料の記述（原文のまま）"), blank=True)
    projects = models.ManyToManyField(Project, verbose_name=_("関係する事業"), related_name="topics", blank=True)
    question_keys = models.JSONField(
        _("この論点を問う質問のキー"), default=list, blank=True,
        help_text=_("質問セットの質問キー（例: b-accuracy）。表示中の質問セットにないキーは表示されない。"),
    )

    class Meta:
        ordering = ["position", "key"]
        verbose_name = _("論点")
        verbose_name_plural = _("論点")

    def __str__(self) -> str:
        return self.title
