"""The question letter (質問書): which questions to put to the municipality, and the documents to
request. Pure functions over plain data."""

from dataclasses import dataclass


@dataclass(frozen=True)
class LetterQuestion:
    number: int
    text: str
    section: str
    not_disclosed: bool


def letter_questions(questions, not_disclosed_keys: set[str]) -> list[LetterQuestion]:
    """One numbered question for each unknown or not-disclosed answer, in question-set order.
    ``questions`` are objects with key, municipality_question and section title."""
    return [
        LetterQuestion(number=index, text=q.municipality_question, section=q.section.title, not_disclosed=q.key in not_disclosed_keys)
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
