import datetime
import re

from django import template
from django.utils import translation
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assessments import formatting

register = template.Library()

# The eras of formatting.ERAS as the English interface names them (the date itself stands beside).
ERA_NAMES = {"令和": "Reiwa", "平成": "Heisei", "昭和": "Showa", "大正": "Taisho", "明治": "Meiji"}


def japanese() -> bool:
    """Whether the active language is Japanese (the documents', and the default interface's)."""
    return (translation.get_language() or "ja").split("-")[0] == "ja"


def _english_era(label: str) -> str:
    """「令和8年5月20日」 or 「令和4年度」 as 'Reiwa 8' / 'Reiwa 4' (元年 is year 1)."""
    era, year = label[:2], label[2:].split("年")[0]
    return f"{ERA_NAMES.get(era, era)} {1 if year == '元' else year}"


def era_text(day) -> str:
    """A day's 和暦: 令和8年5月20日 in Japanese, 'Reiwa 8' in English; empty before Meiji 6."""
    if not day:
        return ""
    label = formatting.wareki(day)
    if not label or japanese():
        return label
    return _english_era(label)


def day_with_era(day) -> str:
    """2026-05-20（令和8年5月20日）, in English 2026-05-20 (Reiwa 8): 西暦 with 和暦 beside it."""
    if isinstance(day, datetime.datetime):
        day = day.date()
    era = era_text(day)
    return _("%(date)s（%(era)s）") % {"date": day.isoformat(), "era": era} if era else day.isoformat()


def amount_text(amount: int | None) -> str:
    """'1,924千円' ('1,924 thousand yen'); an unknown amount is 不明 (Unknown), never 0."""
    if amount is None:
        return _("不明")
    return _("%(amount)s千円") % {"amount": formatting.number_text(amount)}


# Japanese data on a page of another language: the question set's words, what users wrote, names
# from the database. A Japanese page (and the documents, which are Japanese) needs no mark: there
# these give exactly what the template gave without them.


@register.simple_tag(name="lang_ja")
def lang_ja_attribute():
    """``<td{% lang_ja %}>``: ' lang="ja"' on an element that holds only Japanese data."""
    return "" if japanese() else mark_safe(' lang="ja"')


@register.filter(name="lang_ja", needs_autoescape=True)
def lang_ja_filter(value, autoescape=True):
    """Japanese data inside an interface sentence (also a {% blocktranslate %} variable): in
    ``<span lang="ja">…</span>``, escaped. Not for <title> or attributes, which are text."""
    text = conditional_escape(value) if autoescape else value
    return mark_safe(text if japanese() else f'<span lang="ja">{text}</span>')


# A page field holds what was typed. A number or a range ("12", "3-5", "2〜4") is printed with the
# word for pages; anything else ("p.2〜4", "全12頁（うち4頁に黒塗り）", "1枚", "別紙2") as typed, as it
# already says what it is (the report used to print 「全3頁ページ」).
_PAGE_NUMBERS = re.compile(r"[0-9０-９]+(?:\s*[-‐–—〜～~,，、・]\s*[0-9０-９]+)*")


@register.filter
def page_ref(page) -> SafeString:
    """A source's page as a reader reads it: 「12ページ」, 「3-5ページ」 (in English "p. 12", "pp. 3-5"),
    or the typed text (data)."""
    text = str(page).strip()
    if _PAGE_NUMBERS.fullmatch(text):
        pages = 1 if text.isdigit() else 2
        return conditional_escape(ngettext("%(page)sページ", "%(page)sページ", pages) % {"page": text})
    return lang_ja_filter(text)


class _JapaneseNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        inner = self.nodelist.render(context)
        return inner if japanese() else mark_safe(f'<span lang="ja">{inner}</span>')


@register.tag("ja")
def ja_tag(parser, token):
    """``{% ja %}…{% endja %}``: what is inside is Japanese data (as the lang_ja filter, for more than
    one value)."""
    nodelist = parser.parse(("endja",))
    parser.delete_first_token()
    return _JapaneseNode(nodelist)


def message_html(message: str, **values) -> SafeString:
    """``message % values`` as HTML, for the messages base.html shows after an action: the message
    escaped, each value escaped unless it is HTML already (``lang_ja(title)`` for data)."""
    return mark_safe(conditional_escape(message) % {name: conditional_escape(value) for name, value in values.items()})


def lang_ja(value) -> SafeString:
    """Japanese data inside a message (message_html): the lang_ja filter, from Python."""
    return lang_ja_filter(value)


@register.filter(needs_autoescape=True)
def with_data(text, data, autoescape=True):
    """An interface sentence that quotes ``data`` (a name the user wrote, made into the sentence by
    Python code; or several: a list, a dict's values): escaped, each occurrence in ``<span lang="ja">``.

    Matched in the text as written (not in its escaped form, so never inside an entity) and only as a
    whole (not a letter inside an English word: a one-letter cell "y" marks no "y" of "yes")."""
    escape = conditional_escape if autoescape else str
    if isinstance(text, SafeData) or not data or japanese():
        return mark_safe(escape(text))
    text = str(text)
    values = data.values() if isinstance(data, dict) else [data] if isinstance(data, (str, int)) else data
    quoted = sorted({str(v).strip() for v in values if v is not None and str(v).strip()}, key=len, reverse=True)
    if not quoted:
        return mark_safe(escape(text))
    # One pass, the longest first: a value is never looked for inside a mark already made.
    pattern = re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(re.escape(value) for value in quoted) + r")(?![A-Za-z0-9])")
    out, at = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[at:match.start()]))
        out.append(f'<span lang="ja">{escape(match.group(0))}</span>')
        at = match.end()
    out.append(escape(text[at:]))
    return mark_safe("".join(str(part) for part in out))


@register.filter(name="put_to")
def put_to_filter(text, honorific):
    """A question to the municipality as the assessment's letter puts it (reports/letter.put_to):
    ``honorific`` is the letter's 貴市, 貴町, 貴村 or 貴教育委員会 (services.letter_honorific)."""
    from assessments.reports.letter import put_to

    return put_to(str(text), honorific)


@register.filter
def view_methods(methods):
    """The stored ways residents' views were sought (ResidentViews.METHODS), as the interface names them."""
    from assessments.forms import RESIDENT_VIEW_METHODS

    return _("、").join(str(RESIDENT_VIEW_METHODS.get(method, method)) for method in methods or ())


def _pending(label) -> bool:
    from assessments import scoring

    return str(label) == scoring.PENDING.label


@register.filter
def level_text(label):
    """A level's label as text: the question set's own, or 判定保留 translated (see level_label)."""
    return _("判定保留（確認できない事項が多い）") if label and _pending(label) else label


@register.filter
def is_data_level(label) -> bool:
    """Whether a level's label is the question set's own words (Japanese: lang="ja")."""
    return bool(label) and not _pending(label)


@register.filter
def level_label(label):
    """A level's label on a page: the question set's own (data, lang="ja"), or 判定保留, which the
    scoring rules name and the interface translates."""
    if not label:
        return ""
    if _pending(label):
        return _("判定保留（確認できない事項が多い）")
    return lang_ja_filter(label)


@register.filter
def thousand_yen(amount):
    return amount_text(amount)


@register.filter
def inner_quotes(text):
    """``「{{ project.title|inner_quotes }}」``: formatting.inner_quotes."""
    return formatting.inner_quotes(text)


@register.filter
def wareki(day):
    return era_text(day)


@register.filter
def with_era(day):
    """``{{ day|with_era }}``: 2026-05-20（令和8年5月20日）; empty for no day."""
    return day_with_era(day) if day else ""


@register.filter
def fiscal_year(year):
    """2022年度（令和4年度）, in English FY2022 (Reiwa 4)."""
    if not year:
        return ""
    era = formatting.wareki_fiscal_year(year)
    if not era:
        return _("%(year)s年度") % {"year": year}
    return _("%(year)s年度（%(era)s）") % {"year": year, "era": era if japanese() else _english_era(era)}


def wrapped(kind: str, html) -> SafeString:
    """``html`` (escaped unless safe) in the punctuation of the active language: （…）, 「…」 or
    【…】 ({% paren %}, {% quoted %}, {% bracketed %} from Python)."""
    # The msgids are here, in Python, so that makemessages finds them.
    pattern = {"paren": _("（%(text)s）"), "quoted": _("「%(text)s」"), "bracketed": _("【%(text)s】")}[kind]
    return mark_safe(conditional_escape(pattern) % {"text": conditional_escape(html)})


class _Wrapped(template.Node):
    def __init__(self, nodelist, kind):
        self.nodelist, self.kind = nodelist, kind

    def render(self, context):
        return wrapped(self.kind, self.nodelist.render(context))


def _wrapping(kind):
    def tag(parser, token):
        nodelist = parser.parse((f"end{kind}",))
        parser.delete_first_token()
        return _Wrapped(nodelist, kind)

    tag.__doc__ = f"{{% {kind} %}}…{{% end{kind} %}}: what is inside, in the punctuation of the active language."
    return tag


# （…） → " (…)", 「…」 → '"…"', 【…】 → "[…]": the brackets of a template, in the interface's language.
register.tag("paren", _wrapping("paren"))
register.tag("quoted", _wrapping("quoted"))
register.tag("bracketed", _wrapping("bracketed"))


@register.filter
def confirmed_rate(score):
    """「確認率 60%（不明 3・未開示 2）」 beside a level, with 「・未回答 4」 while scorable questions are
    unanswered, for a score (scoring.SectionScore) or a stored result summary (dict); empty when the
    question set has no 確認率 rule or there is nothing to count."""
    if isinstance(score, dict):
        percent, unknown, not_disclosed, unanswered = (
            score.get("confirmed_percent"), score.get("unknown_scored"), score.get("not_disclosed_scored"),
            score.get("unanswered_scorable"))
    elif score is not None and getattr(score, "min_confirmed_percent", None) is not None:
        percent, unknown, not_disclosed, unanswered = (
            score.confirmed_percent, score.unknown, score.not_disclosed, score.unanswered)
    else:
        return ""
    if percent is None:
        return ""
    values = {"percent": percent, "unknown": unknown or 0, "not_disclosed": not_disclosed or 0,
              "unanswered": unanswered or 0}
    if unanswered:
        return _("確認率 %(percent)s%%（不明 %(unknown)s・未開示 %(not_disclosed)s・未回答 %(unanswered)s）") % values
    return _("確認率 %(percent)s%%（不明 %(unknown)s・未開示 %(not_disclosed)s）") % values


@register.filter
def display_name(user):
    """A person as members see them: their display name, never the login (people.display_name)."""
    from assessments import people

    return people.display_name(user)


@register.filter
def organisation_name(organisation):
    """An organisation as pages name it (people.organisation_name): Japanese data, as its name."""
    from assessments import people

    return people.organisation_name(organisation)


@register.filter
def public_author(assessment):
    """The author of an assessment as the public sees them (people.public_author)."""
    from assessments import people

    return people.public_author(assessment)


@register.filter
def plain_pdf(text):
    """As ``plain``, with the readings as inline blocks WeasyPrint can lay out (see ruby_html)."""
    from django.utils.safestring import SafeString, mark_safe

    from assessments.plain_language import plain_html

    return mark_safe(plain_html(str(text or ""), blocks=True))


@register.filter
def plain(text, furigana=True):
    """A やさしい日本語 text as HTML: escaped, phrases kept whole (<wbr> between them) and, unless
    ``furigana`` is False, readings (<ruby>) on kanji above grade 1."""
    from django.utils.safestring import SafeString, mark_safe

    from assessments.plain_language import plain_html

    return mark_safe(plain_html(str(text or ""), furigana=bool(furigana)))
