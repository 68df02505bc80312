"""Importing a project list from CSV (another prefecture's grant list, next year's adoptions…).

Every row is checked first; if any row is bad, each is reported with its line number and reason and
nothing is written. The columns are documented in the README.
"""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from assessments.codes import validate_local_government_code
from assessments.models import Category, Municipality, Project

COLUMNS = (
    "key", "municipality_code", "title", "program", "fiscal_year", "amount_thousand_yen", "amount_note",
    "source_row", "categories", "description",
)
REQUIRED = ("key", "municipality_code", "title")


@dataclass
class ProjectRow:
    line: int
    key: str
    municipality: Municipality
    title: str
    program: str = ""
    fiscal_year: int | None = None
    amount_thousand_yen: int | None = None
    amount_note: str = ""
    source_row: int | None = None
    categories: list[Category] = field(default_factory=list)
    description: str = ""


def _integer(text: str, *, what: str) -> int | None:
    text = text.replace(",", "").replace("，", "").strip()
    if text == "":
        return None
    if not text.isdigit():
        raise ValueError(f"{what}「{text}」は0以上の整数ではありません")
    return int(text)


def parse_projects_csv(text: str) -> tuple[list[ProjectRow], list[tuple[int, str]]]:
    """The rows to create and the problems found, each as (line number, reason)."""
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        return [], [(1, f"必要な列がありません: {', '.join(missing)}")]
    municipalities = {m.code: m for m in Municipality.objects.all()}
    categories = {c.key: c for c in Category.objects.all()}
    existing = set(Project.objects.values_list("key", flat=True))
    rows, errors, seen = [], [], {}
    for line, raw in enumerate(reader, start=2):
        values = {name: (raw.get(name) or "").strip() for name in COLUMNS}
        problems = []
        for name in REQUIRED:
            if not values[name]:
                problems.append({"key": "キーがありません", "municipality_code": "団体コードがありません",
                                 "title": "事業名がありません"}[name])
        code = values["municipality_code"]
        municipality = municipalities.get(code)
        if code and municipality is None:
            try:
                validate_local_government_code(code)
                problems.append(f"団体コード {code} の自治体がありません")
            except ValidationError as error:
                problems.append(" ".join(error.messages))
        key = values["key"]
        if key in existing:
            problems.append(f"キー {key} の事業は既にあります（重複）")
        elif key and key in seen:
            problems.append(f"キー {key} が {seen[key]} 行目と重複しています")
        seen.setdefault(key, line)
        parsed = {}
        for name, what in (("amount_thousand_yen", "採択額"), ("fiscal_year", "年度"), ("source_row", "行番号")):
            try:
                parsed[name] = _integer(values[name], what=what)
            except ValueError as error:
                problems.append(str(error))
        wanted = [k for k in values["categories"].split("|") if k.strip()]
        unknown = [k for k in wanted if k.strip() not in categories]
        if unknown:
            problems.append(f"分類 {', '.join(unknown)} はありません")
        if len(values["title"]) > 200:
            problems.append("事業名が長すぎます（200文字まで）")
        if problems:
            errors.append((line, "、".join(problems)))
            continue
        rows.append(ProjectRow(
            line=line, key=key, municipality=municipality, title=values["title"], program=values["program"],
            amount_note=values["amount_note"], description=values["description"],
            categories=[categories[k.strip()] for k in wanted], **parsed,
        ))
    return rows, errors


@transaction.atomic
def import_projects(rows: list[ProjectRow]) -> list[Project]:
    created = []
    for row in rows:
        project = Project(
            key=row.key, municipality=row.municipality, title=row.title, program=row.program,
            fiscal_year=row.fiscal_year, amount_thousand_yen=row.amount_thousand_yen, amount_note=row.amount_note,
            source_row=row.source_row, description=row.description, kind=Project.Kind.OTHER,
        )
        project.full_clean()
        project.save()
        project.categories.set(row.categories)
        created.append(project)
    return created
