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
