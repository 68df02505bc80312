"""Reading the PDFs dxpia makes, as a reader's tools do (pypdf): used by the tests and bench/."""

import io
import re
from dataclasses import dataclass

from pypdf import PdfReader


@dataclass(frozen=True)
class TocEntry:
    title: str
    printed: int | None  # the page number printed at the entry (None: no number)
    target: int  # the page (1-based) the entry's link goes to


def _fragments(page) -> list[tuple[str, float, float]]:
    """The page's text pieces with where they start (PDF user space)."""
    pieces = []

    def visit(text, cm, tm, _font, _size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            pieces.append((text.strip(), x, y))

    page.extract_text(visitor_text=visit)
    return pieces


def toc_entries(pdf: bytes, toc_page: int = 2) -> list[TocEntry]:
    """The table of contents on ``toc_page`` (1-based), read from the PDF itself: for each link, the
    text printed inside its area (title and page number) and the page its destination is on."""
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[toc_page - 1]
    names = reader.named_destinations
    pieces = _fragments(page)
    areas: dict[str, list[tuple[float, float, float, float]]] = {}
    for annotation in page.get("/Annots") or []:
        annotation = annotation.get_object()
        dest = annotation.get("/Dest")
        if dest is None and "/A" in annotation:
            dest = annotation["/A"].get("/D")
        if isinstance(dest, str) and dest in names:
            x1, y1, x2, y2 = (float(v) for v in annotation["/Rect"])
            areas.setdefault(dest, []).append((min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)))
    entries = []
    for dest, rects in areas.items():
        inside = sorted({(x, y, text) for text, x, y in pieces
                         for left, bottom, right, top in rects
                         if left - 1 <= x <= right and bottom <= y <= top}, key=lambda p: p[0])
        text = "".join(t for _x, _y, t in inside)
        match = re.fullmatch(r"(.*?)(\d+)", text)
        title, printed = (match.group(1), int(match.group(2))) if match else (text, None)
        entries.append(TocEntry(title=title, printed=printed,
                                target=reader.get_destination_page_number(names[dest]) + 1))
    return entries


def structure(pdf: bytes) -> dict:
    """What a screen reader gets from a tagged PDF: the catalogue's language and marking, how many
    structure elements of each type, and the figures' alternative texts."""
    from collections import Counter

    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    counts: Counter = Counter()
    alternatives = []
    tree = root.get("/StructTreeRoot")
    stack = [tree] if tree is not None else []
    while stack:
        node = stack.pop().get_object()
        if not isinstance(node, dict):
            continue
        kind = node.get("/S")
        if kind:
            counts[str(kind).lstrip("/")] += 1
            if kind == "/Figure":
                alternatives.append(str(node.get("/Alt", "")))
        kids = node.get("/K")
        if kids is not None:
            stack.extend(kids if isinstance(kids, list) else [kids])
    return {
        "lang": str(root.get("/Lang", "")),
        "marked": bool((root.get("/MarkInfo") or {}).get("/Marked")),
        "title": reader.metadata.title if reader.metadata else None,
        "counts": counts,
        "alternatives": alternatives,
    }
