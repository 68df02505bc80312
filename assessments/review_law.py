"""What 特定個人情報保護評価 asks about keeping an assessment current, cited where the review clock is
explained (the plan page, the README). dxpia's question sets take the same intervals as defaults
(QuestionSet.review_interval_months, reassessment_interval_years); a resident's assessment is not
bound by these rules, which apply to My Number systems, but follows them as good practice.

Neither text was read in the rule or the guideline itself (未確認): the article of the rule is the
one the Personal Information Protection Commission's own page names, the yearly review is known only
from a secondary description, and the section of the guideline that says so was not found.
"""

from django.utils.translation import gettext_lazy as _

from assessments.request_law import Citation

REASSESSMENT = Citation(
    law=_("特定個人情報保護評価に関する規則（平成26年特定個人情報保護委員会規則第1号）"),
    article=_("第15条"),
    sentence=_("直近の評価書を公表してから5年を経過する前に、特定個人情報保護評価を再実施するよう努めるものとされています（努力義務）。"),
    # The PPC's page names 「特定個人情報保護評価に関する規則第15条等に基づく、特定個人情報保護評価の
    # 5年経過前の再実施」; the article's own words were not read.
    verified=False,
    source="個人情報保護委員会「特定個人情報保護評価」 https://www.ppc.go.jp/legal/assessment/ （条文そのものは未確認）",
)

YEARLY_REVIEW = Citation(
    law=_("特定個人情報保護評価指針（平成26年特定個人情報保護委員会告示第4号）"),
    article="",
    sentence=_("評価実施機関は、少なくとも1年に1回、評価書の記載事項を実態に照らして見直すよう努めるものとされています。"),
    # Read only in a secondary description (Wikipedia 「特定個人情報保護評価」, 実施後の手続き: 「少なくとも
    # 1年に1回は評価書の見直しを行うよう努め」); the guideline's text and section were not read.
    verified=False,
    source="Wikipedia「特定個人情報保護評価」（実施後の手続き）による。指針の本文は未確認",
)
