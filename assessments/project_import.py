"""Importing a project list from CSV (another prefecture's grant list, next year's adoptions…).

Every row is checked first, by the model's own validation (the same as the admin's change form:
key as a slug, lengths, integer ranges, plausible fiscal years) plus what only a list can know
(duplicated keys, unknown municipalities and categories). If anything is wrong, each problem is
reported with its line number and nothing is written. The preview (``manage.py import_projects
--dry-run``, the admin's upload) and the import run exactly this check. The columns and limits are
documented in the README.
"""

import csv
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from assessments.answer_values import clean_text
from assessments.codes import validate_local_government_code
from assessments.models import Category, Municipality, Project
from assessments.spreadsheet_cells import csv_reader

COLUMNS = (
    "key", "municipality_code", "title", "program", "fiscal_year", "amount_thousand_yen", "amount_note",
    "source_row", "categories", "description",
)
REQUIRED = ("key", "municipality_code", "title")
# Columns of /export/projects.csv that an import takes from elsewhere: the municipality's name comes
# from its code. A file exported by dxpia can be imported again without editing its header.
IGNORED = ("municipality",)
INTEGER_COLUMNS = {"fiscal_year": "年度", "amount_thousand_yen": "採択額", "source_row": "行番号"}

MAX_FILE_BYTES = 1_000_000  # also what the admin's confirmation can send back (DATA_UPLOAD_MAX_MEMORY_SIZE)
MAX_ROWS = 5_000
MAX_CELL_LENGTH = 20_000


@dataclass
class ProjectRow:
    """One line of the file, validated and ready to save."""

    line: int
    project: Project  # not saved yet
    categories: list[Category] = field(default_factory=list)


class ProjectImportError(Exception):
    """The file cannot be imported: ``problems`` are (line number, reason), line 0 for the whole file."""

    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__("; ".join(f"{line}: {reason}" for line, reason in problems))
        self.problems = problems


def _integer(text: str, *, what: str) -> int | None:
    text = text.replace(",", "").replace("，", "").strip()
    if text == "":
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        raise ValueError(_("%(what)s「%(text)s」は0以上の整数ではありません") % {"what": what, "text": text[:40]})
    return int(text)


def _header_problems(header: list[str]) -> list[str]:
    problems = []
    duplicated = sorted({name for name in header if name and header.count(name) > 1})
    if duplicated:
        problems.append(_("見出しの列が重複しています: %(names)s") % {"names": ", ".join(duplicated)})
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        problems.append(_("必要な列がありません: %(names)s") % {"names": ", ".join(missing)})
    unknown = [name for name in header if name not in COLUMNS and name not in IGNORED]
    if unknown:
        problems.append(_("知らない列があります: %(names)s（使える列: %(columns)s）")
                        % {"names": ", ".join(n or _("（空の見出し）") for n in unknown), "columns": ", ".join(COLUMNS)})
    return problems


def _records(text: str):
    """(first line, cells) for each record of the CSV; a quoted cell may span lines."""
    reader = csv_reader(text)
    while True:
        first_line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ProjectImportError([(first_line, _("CSVとして読めません（%(error)s）") % {"error": error})]) from None
        yield first_line, cells


def _model_messages(error: ValidationError) -> list[str]:
    messages = []
    for name, errors in error.error_dict.items():
        label = Project._meta.get_field(name).verbose_name if name != "__all__" else ""
        for item in errors:
            if name == "key" and item.code == "invalid":
                message = _("半角の英数字・ハイフン・アンダースコアだけで書いてください（例: r5-kawaguchi-01）")
            else:
                message = " ".join(item.messages)
            messages.append(f"{label}: {message}" if label else message)
    return messages


def _sentences(problems: list[str]) -> str:
    """Several problems of one line as one text: each a sentence ending in 「。」."""
    return "".join(p if p.endswith("。") else f"{p}。" for p in problems)


def parse_projects_csv(text: str) -> tuple[list[ProjectRow], list[tuple[int, str]]]:
    """The rows to create and the problems found, each as (line number, reason); line 0 is the file."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        return [], [(0, _("ファイルが大きすぎます（%(max)s バイトまで）。分けて取り込んでください。")
                     % {"max": f"{MAX_FILE_BYTES:,}"})]
    try:
        return _parse(text.lstrip("\ufeff"))
    except ProjectImportError as error:
        return [], error.problems


def _parse(text: str) -> tuple[list[ProjectRow], list[tuple[int, str]]]:
    records = _records(text)
    first = next(records, None)
    if first is None:
        return [], [(1, _("見出しの行がありません。"))]
    header = [name.strip() for name in first[1]]
    problems = _header_problems(header)
    if problems:
        return [], [(first[0], _sentences(problems))]
    municipalities = {m.code: m for m in Municipality.objects.all()}
    categories = {c.key: c for c in Category.objects.all()}
    existing = set(Project.objects.values_list("key", flat=True))
    rows, errors, seen = [], [], {}
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        if len(rows) + len(errors) >= MAX_ROWS:
            errors.append((line, _("行が多すぎます（%(max)s行まで）。分けて取り込んでください。") % {"max": f"{MAX_ROWS:,}"}))
            break
        row, problems = _row(line, header, cells, municipalities=municipalities, categories=categories,
                             existing=existing, seen=seen)
        if problems:
            errors.append((line, _sentences(problems)))
        else:
            rows.append(row)
    return rows, errors


def _row(line, header, cells, *, municipalities, categories, existing, seen) -> tuple[ProjectRow | None, list[str]]:
    problems = []
    if len(cells) > len(header):
        problems.append(_("列が見出しより多くあります（%(cells)s列、見出しは%(header)s列）")
                        % {"cells": len(cells), "header": len(header)})
    values = dict.fromkeys(COLUMNS, "")
    for name, cell in zip(header, cells):
        if name in values:
            try:
                values[name] = clean_text(cell, max_length=MAX_CELL_LENGTH).strip()
            except ValidationError as error:
                problems.append(f"{name}: {' '.join(error.messages)}")
    for name, message in (("key", _("キーがありません")), ("municipality_code", _("団体コードがありません")),
                          ("title", _("事業名がありません"))):
        if not values[name]:
            problems.append(message)
    code = values["municipality_code"]
    municipality = municipalities.get(code)
    if code and municipality is None:
        try:
            validate_local_government_code(code)
            problems.append(_("団体コード %(code)s の自治体がありません") % {"code": code})
        except ValidationError as error:
            problems.append(" ".join(error.messages))
    key = values["key"]
    if key in existing:
        problems.append(_("キー %(key)s の事業は既にあります（重複）") % {"key": key})
    elif key and key in seen:
        problems.append(_("キー %(key)s が %(line)s 行目と重複しています") % {"key": key, "line": seen[key]})
    seen.setdefault(key, line)
    integers = {}
    for name, what in INTEGER_COLUMNS.items():
        try:
            integers[name] = _integer(values[name], what=what)
        except ValueError as error:
            problems.append(str(error))
            integers[name] = None
    wanted = [k.strip() for k in values["categories"].split("|") if k.strip()]
    unknown = [k for k in wanted if k not in categories]
    if unknown:
        problems.append(_("分類 %(keys)s はありません") % {"keys": ", ".join(unknown)})
    project = Project(
        key=key, municipality=municipality, title=values["title"], program=values["program"],
        amount_note=values["amount_note"], description=values["description"], kind=Project.Kind.OTHER, **integers,
    )
    try:
        # The model's own rules; what was already said above (blank, unknown municipality) not twice.
        said = [name for name, missing in (("key", not key), ("title", not values["title"]),
                                           ("municipality", municipality is None)) if missing]
        project.full_clean(exclude=said, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        problems += _model_messages(error)
    if problems:
        return None, problems
    return ProjectRow(line=line, project=project, categories=[categories[k] for k in wanted]), []


def import_projects(rows: list[ProjectRow]) -> list[Project]:
    """Save the rows of a file that parsed without problems, all or none. Raises ProjectImportError
    when the database refuses one (somebody created the same key since the preview)."""
    try:
        with transaction.atomic():
            for row in rows:
                row.project.save()
                row.project.categories.set(row.categories)
    except IntegrityError:
        raise ProjectImportError([(0, _("プレビューの後に同じキーの事業が作られました。もう一度プレビューしてください。"))]) from None
    return [row.project for row in rows]
