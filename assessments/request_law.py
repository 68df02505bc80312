"""The legal texts the request pages cite, in one place (the coordinator checks each against the
law's text before it is marked checked; 未確認 citations say so on the page).

Each entry: the citation, what it says in one sentence as the page shows it, and whether it was
checked against the text of the law. The law, article and sentence are translated when shown (the
English interface names a law by its English name).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Citation:
    law: str  # each of these three: a lazy translation
    article: str
    sentence: str
    verified: bool = False
    # Where the text was read (for a verified citation).
    source: str = ""

    @property
    def label(self) -> str:
        return f"{self.law} {self.article}".strip()


# 個人情報開示請求: the default periods where no ordinance says otherwise.
PERSONAL_INFORMATION_DEADLINE = Citation(
    law=_("個人情報の保護に関する法律"),
    article=_("第83条"),
    sentence=_("開示決定等は、開示請求があった日から30日以内にしなければならず、正当な理由があるときは30日以内に限り延長できます。"),
    # The Personal Information Protection Commission's Q&A quotes both paragraphs (and says that an
    # ordinance may shorten the 30 days, but never make the extension longer than 30 days).
    verified=True,
    source="個人情報保護委員会「個人情報の保護に関する法律についてのQ&A（行政機関等編）」Q5-6-1 https://www.ppc.go.jp/all_faq_index/faq7-q5-6-1",
)
PERSONAL_INFORMATION_DAYS = 30
PERSONAL_INFORMATION_EXTENSION_DAYS = 30

# 審査請求 against a decision not to disclose (in full).
APPEAL_PERIOD = Citation(
    law=_("行政不服審査法"),
    article=_("第18条第1項・第2項"),
    sentence=_(
        "審査請求は、処分があったことを知った日の翌日から起算して3か月以内にしなければなりません。処分を知らなかったときも、"
        "処分があった日の翌日から起算して1年を過ぎるとできなくなります（どちらも、正当な理由があるときを除きます）。"
    ),
    # 「処分があつたことを知つた日の翌日から起算して三月…を経過したときは、することができない。ただし、
    # 正当な理由があるときは、この限りでない。」 and paragraph 2: 「処分…があった日の翌日から起算して1年を
    # 経過したときは、することができない。ただし、正当な理由があるときは、この限りでない。」 Read in
    # a copy of the text (not on e-Gov itself).
    verified=True,
    source="行政不服審査法第18条（Wikibooks の条文の写し https://ja.wikibooks.org/wiki/行政不服審査法第18条 ; e-Gov https://laws.e-gov.go.jp/law/426AC0000000068）",
)
APPEAL_BODY = Citation(
    law=_("行政不服審査法"),
    article=_("第4条第1号"),
    sentence=_("上級行政庁がない場合、審査請求は決定をした機関（市長・町長・村長、教育委員会など）に対して行います。"),
)
APPEAL_MONTHS = 3

# Shown where a municipality's own rule is not known or not checked.
CHECK_ORDINANCE = _("条例の該当条文を確かめてください。")
