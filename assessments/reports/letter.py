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


def honorific(municipality) -> str:
    """貴市・貴町・貴村 for the addressee; 貴団体 when the project names no municipality."""
    if municipality is None:
        return GENERIC_HONORIFIC
    return HONORIFICS.get(municipality.kind, GENERIC_HONORIFIC)


def letter_questions(questions, not_disclosed_keys: set[str], municipality=None) -> list[LetterQuestion]:
    """One numbered question for each unknown or not-disclosed answer, in question-set order.
    ``questions`` are objects with key, municipality_question and section title. A question set
    writes the addressee as 貴団体 (v2); the letter says 貴市, 貴町 or 貴村 as the addressee is."""
    name = honorific(municipality)
    return [
        LetterQuestion(number=index, text=q.municipality_question.replace(GENERIC_HONORIFIC, name),
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


def addressee(municipality) -> str:
    """美里町長 様; a project without a named municipality goes to whoever is responsible."""
    if municipality is None:
        return "ご担当者 様"
    return f"{municipality.name}長 様"
