from django import template
from django.utils.translation import gettext as _

from assessments import formatting

register = template.Library()


@register.filter
def thousand_yen(amount):
    return formatting.thousand_yen(amount, unknown=_("不明"))


@register.filter
def wareki(day):
    return formatting.wareki(day) if day else ""


@register.filter
def fiscal_year(year):
    """2022年度（令和4年度）"""
    if not year:
        return ""
    era = formatting.wareki_fiscal_year(year)
    return f"{year}年度（{era}）" if era else f"{year}年度"


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
def public_author(assessment):
    """The author of an assessment as the public sees them (people.public_author)."""
    from assessments import people

    return people.public_author(assessment)
