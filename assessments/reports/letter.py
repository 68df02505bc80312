"""The question letter (質問書): which questions to put to the municipality, and the documents to
request. Pure functions over plain data."""

from dataclasses import dataclass


@dataclass(frozen=True)
class LetterQuestion:
    number: int
    text: str
    section: str
    not_disclosed: bool


# How a letter names the body it is addressed to (a designated city is a 市).
HONORIFICS = {"designated_city": "貴市", "city": "貴市", "town": "貴町", "village": "貴村"}
GENERIC_HONORIFIC = "貴団体"
HEAD = "head"
EDUCATION = "education"


def honorific(municipality, body: str = HEAD) -> str:
    """貴市・貴町・貴村 (or 貴教育委員会) for the addressee; 貴団体 when no municipality is named."""
    if body == EDUCATION:
        return "貴教育委員会"
    if municipality is None:
        return GENERIC_HONORIFIC
    return HONORIFICS.get(municipality.kind, GENERIC_HONORIFIC)


# A question about the whole municipality, its boards included (screening-serious-incident: the
# threshold counts incidents of every organ of the 地方公共団体). Put to the board of education as
# 「貴教育委員会（教育委員会などの機関を含む）」 it named the board twice and asked about the board alone.
WHOLE_MUNICIPALITY = "貴団体（教育委員会などの機関を含む）"
WHOLE_MUNICIPALITY_TO_THE_BOARD = "貴教育委員会、または同じ地方公共団体のほかの機関"


# Where 貴団体 is the 地方公共団体 itself, whoever is addressed: its ordinance, its own share of the
# cost, its own policies. Put to the board of education these stay the municipality's (貴市), not
# 「貴教育委員会が独自に定めている事項」 of an ordinance the board does not make.
OF_THE_MUNICIPALITY = ("個人情報保護法施行条例で、貴団体が", "貴団体の自己負担", "貴団体独自の")


def put_to(text: str, name: str, municipality_name: str = GENERIC_HONORIFIC) -> str:
    """A question of the set as put to the addressee ``name`` (貴市, 貴町 …; see ``honorific``): the
    set writes the addressee as 貴団体. To the board of education, what is the municipality's is
    said of the municipality (``municipality_name``: its 貴市, 貴町 or 貴村)."""
    if name == "貴教育委員会":
        text = text.replace(WHOLE_MUNICIPALITY, WHOLE_MUNICIPALITY_TO_THE_BOARD)
        for phrase in OF_THE_MUNICIPALITY:
            text = text.replace(phrase, phrase.replace(GENERIC_HONORIFIC, municipality_name))
    return text.replace(GENERIC_HONORIFIC, name)


def letter_questions(questions, not_disclosed_keys: set[str], municipality=None, body: str = HEAD) -> list[LetterQuestion]:
    """One numbered question for each unknown or not-disclosed answer, in question-set order.
    ``questions`` are objects with key, municipality_question and section title. A question set
    writes the addressee as 貴団体 (v2); the letter says 貴市, 貴町, 貴村 or 貴教育委員会."""
    name = honorific(municipality, body)
    own = honorific(municipality)
    return [
        LetterQuestion(number=index, text=put_to(q.municipality_question, name, own),
                       section=q.section.title, not_disclosed=q.key in not_disclosed_keys)
        for index, q in enumerate(questions, start=1)
    ]


def documents_to_request(questions) -> list[str]:
    """The documents these questions name, each once, in first-named order."""
    seen: dict[str, None] = {}
    for question in questions:
        for document in question.document_list():
            seen.setdefault(document.strip(), None)
    return [document for document in seen if document]


def addressee(municipality, body: str = HEAD) -> str:
    """美里町長 様 or 戸田市教育委員会 教育長 様; without a named municipality, whoever is responsible."""
    if municipality is None:
        return "ご担当者 様"
    if body == EDUCATION:
        return f"{municipality.name}教育委員会 教育長 様"
    return f"{municipality.name}長 様"


def questioned(municipality, body: str = HEAD) -> str:
    """Whom a council question is put to: 市長, 町長, 村長 or 教育長."""
    if body == EDUCATION:
        return "教育長"
    if municipality is None:
        return "首長"
    return f"{municipality.name[-1]}長"


# A letter's request (…をお示しいただけますでしょうか。) as a point of a council question (…を伺う。).
_COUNCIL_ENDINGS = (
    ("もあわせてお示しいただけますと幸いです。", "もあわせて伺う。"),
    ("かどうか、お示しいただけますでしょうか。", "かどうかを伺う。"),
    ("か、お示しいただけますでしょうか。", "かを伺う。"),
    ("をお示しいただけますでしょうか。", "を伺う。"),
    ("お示しいただけますでしょうか。", "伺う。"),
    ("をご提供いただけますでしょうか。", "を示されたい。"),
    ("ご提供いただけますでしょうか。", "示されたい。"),
    # v1's plainer forms
    ("を教えてください。", "を伺う。"),
    ("教えてください。", "伺う。"),
    ("をご提供ください。", "を示されたい。"),
    ("をお示しください。", "を示されたい。"),
    ("でしょうか。", "か伺う。"),
)


# A council member asks about their own municipality: 本市・本町・本村, not the letter's 貴市….
_COUNCIL_OWN = (("貴教育委員会", "教育委員会"), ("貴市", "本市"), ("貴町", "本町"), ("貴村", "本村"))


def council_point(text: str) -> str:
    """One 質問要旨 of a council question, from a question written for a letter."""
    for letter_word, own_word in _COUNCIL_OWN:
        text = text.replace(letter_word, own_word)
    sentences = [s + "。" for s in text.split("。") if s.strip()]
    points = []
    for sentence in sentences:
        for ending, point in _COUNCIL_ENDINGS:
            if sentence.endswith(ending):
                sentence = sentence[: -len(ending)] + point
                break
        points.append(sentence)
    return "".join(points)


def council_points(letter_questions_: list[LetterQuestion]) -> list[LetterQuestion]:
    """The letter's questions as the points of a council question, grouped under their sections."""
    return [
        LetterQuestion(number=q.number, text=council_point(q.text), section=q.section, not_disclosed=q.not_disclosed)
        for q in letter_questions_
    ]
