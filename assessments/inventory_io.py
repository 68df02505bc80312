"""The data inventory (データ項目一覧) of one assessment as a spreadsheet: read from CSV or XLSX, written
to CSV or XLSX, in the same columns, so that an exported file imports again to the same rows.

Reading a file never writes anything. ``parse_upload`` (or ``parse_csv`` / ``parse_xlsx``) gives every
line of the file with its problems; a file that cannot be read at all (too big, corrupt, unknown
columns, too many rows) raises ``InventoryFileError`` with the reason. Every line is cleaned by the
section page's own ``InventoryRowForm``, and the rows go into the assessment only through
``answer_saving.answers_save`` (``import_rows``): version and conflict checks, the content budget, the
history and the rescoring apply as to any other save. Between the preview and the confirmation the
rows travel signed (``sign_import`` / ``read_signed_import``) with the token of the rows-part version
the preview was based on; a confirmation after anything changed the inventory is refused.

Every exported cell goes through ``assessments.spreadsheet_cells`` (formula injection, characters a
file cannot hold). The columns, accepted values and limits are documented in the README
(「データ項目一覧の取り込みと書き出し」).
"""

import csv
import datetime
import io
import unicodedata
import zipfile
from dataclasses import dataclass, field

from django import forms
from django.core import signing
from django.db import transaction
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments import answer_saving
from assessments.answer_values import without_forbidden_characters
from assessments.forms import (
    MAX_INVENTORY_ROWS,
    InventoryRowForm,
    RowErrors,
    clean_rows,
    content_digest,
    part_token,
    read_part_token,
)
from assessments.models import Answer, Assessment, InventoryRow, Question
from assessments.spreadsheet_cells import csv_cell, csv_reader, starts_like_formula, xlsx_row

ROW_FIELDS = answer_saving.ROW_FIELDS
YES_NO_FIELDS = ("sensitive", "children", "shared_with_vendor")

MAX_FILE_BYTES = 5_000_000
# What an XLSX file may unpack to (a small zip can hold gigabytes of repeated cells).
MAX_XLSX_UNPACKED_BYTES = 60_000_000
# Lines read in all, blank ones included (a sheet formatted down to row 1,048,576 is not read to the end).
MAX_LINES = 20_000
# Columns of the header that are looked at; the inventory has 11.
MAX_COLUMNS = 100

BOM = "\ufeff"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SIGNING_SALT = "assessments.inventory_io.import"
SIGNED_MAX_AGE = 60 * 60  # seconds between the preview and its confirmation

APPEND, REPLACE = "append", "replace"


def column_labels() -> dict[str, str]:
    """Field -> header (the editor's own labels), in ROW_FIELDS order."""
    return {name: str(InventoryRowForm.base_fields[name].label) for name in ROW_FIELDS}


def header() -> list[str]:
    return list(column_labels().values())


# What a yes/no cell may say (after NFKC normalisation and lower-casing); an empty cell is 不明. The
# editor's paste reads the same words (the section page hands this list to wizard.js).
YES_NO_WORDS = {
    "yes": ("はい", "yes", "y", "○", "〇", "◯", "有", "あり", "該当", "true"),
    "no": ("いいえ", "no", "n", "×", "✕", "無", "なし", "非該当", "false"),
    "unknown": ("不明", "unknown", "", "?", "-", "わからない"),
}
_YES_NO = {word: key for key, words in YES_NO_WORDS.items() for word in words}
YES_NO_LABELS = {"yes": gettext_lazy("はい"), "no": gettext_lazy("いいえ"), "unknown": gettext_lazy("不明")}


class InventoryFileError(ValueError):
    """The file as a whole cannot be imported; the message says why."""


class ImportRefused(Exception):
    """The confirmed rows were not written; the message says why (nothing was changed). ``stale``: the
    inventory changed after the preview."""

    def __init__(self, message, *, stale: bool = False):
        super().__init__(message)
        self.stale = stale


@dataclass
class ImportLine:
    """One non-empty line of the file: its number in the spreadsheet (the header is line 1), the
    cells as read (by field) and its problems."""

    number: int
    values: dict
    errors: list[str] = field(default_factory=list)
    row: dict | None = None  # the cleaned row, when the line has no problem

    @property
    def cells(self) -> list[str]:
        """The line in column order, as the preview shows it (cleaned when it could be)."""
        return _cells(self.row) if self.row is not None else [self.values[name] for name in ROW_FIELDS]


@dataclass
class ParsedInventory:
    lines: list[ImportLine]

    @property
    def errors(self) -> list[tuple[int, str]]:
        return [(line.number, message) for line in self.lines for message in line.errors]

    @property
    def rows(self) -> list[dict]:
        """The cleaned rows, in file order ([] while any line has a problem: nothing is written then)."""
        if self.errors:
            return []
        return [line.row for line in self.lines if line.row is not None]


# --- Reading ----------------------------------------------------------------------------------------


def _normalised(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _quoted(names) -> str:
    return _("、").join(_("「%(text)s」") % {"text": name} for name in names)


def _header_map(cells: list[str]) -> dict[int, str]:
    """Column index -> field. Headers are the editor's labels (in any of the interface's languages: a
    file written in Japanese reads the same in the English interface) or the field names, in any order."""
    by_name = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for name, label in column_labels().items():
                by_name[_normalised(label)] = name
                by_name[_normalised(str(InventoryRow._meta.get_field(name).verbose_name))] = name  # the admin's labels
    by_name.update({name: name for name in ROW_FIELDS})
    mapping, unknown, duplicated = {}, [], []
    for index, cell in enumerate(cells):
        text = _normalised(cell)
        if not text:
            continue
        name = by_name.get(text) or by_name.get(text.lower())
        if name is None:
            unknown.append(cell.strip())
        elif name in mapping.values():
            duplicated.append(cell.strip())
        else:
            mapping[index] = name
    problems = []
    if unknown:
        problems.append(
            _("知らない列があります: %(names)s。使える見出しは %(labels)s（または %(fields)s）です。")
            % {"names": _quoted(unknown), "labels": _("、").join(header()),
               "fields": ", ".join(ROW_FIELDS)}
        )
    if duplicated:
        problems.append(_("同じ列が二度あります: %(names)s。") % {"names": _quoted(duplicated)})
    if not problems and "data_item" not in mapping.values():
        problems.append(_("「%(label)s」の列がありません。1行目を見出しの行にしてください。") % {"label": column_labels()["data_item"]})
    if problems:
        raise InventoryFileError(" ".join(problems))
    return mapping


def _yes_no(raw: str) -> str | None:
    return _YES_NO.get(_normalised(raw).lower())


def _clean_line(number: int, cells: list[str], mapping: dict[int, str]) -> ImportLine:
    labels = column_labels()
    values = {name: "" for name in ROW_FIELDS}
    errors = []
    stray = []
    for index, cell in enumerate(cells):
        if index in mapping:
            values[mapping[index]] = cell
        elif cell.strip():
            stray.append(index + 1)
    if stray:
        errors.append(_("見出しのない列に値があります（%(columns)s列目）。") % {"columns": _("、").join(str(n) for n in stray[:5])
                                                                  + ("…" if len(stray) > 5 else "")})
    item = dict(values)
    for name in YES_NO_FIELDS:
        key = _yes_no(values[name])
        if key is None:
            errors.append(
                _("%(label)s: 「%(value)s」は読めません。はい・いいえ・不明（または ○・×、有・無）で書いてください。")
                % {"label": labels[name], "value": values[name].strip()[:40]}
            )
            key = "unknown"  # the line's other cells are still checked
        item[name] = key
    form = InventoryRowForm(data=item, empty_permitted=True, use_required_attribute=False)
    row = None
    if form.is_valid():
        if form.has_changed():  # a line of 不明 only is a blank line, as in the editor
            row = {name: form.cleaned_data[name] for name in ROW_FIELDS}
    else:
        for name, field_errors in form.errors.as_data().items():
            label = labels.get(name, "")
            if len(field_errors) > 1:
                # A too-long item also "has no name" for the form's clean(); the first reason is enough.
                field_errors = [error for error in field_errors if error.code is not None] or field_errors
            for error in field_errors:
                for message in error.messages:
                    errors.append(message if not label or label in message else f"{label}: {message}")
    line = ImportLine(number=number, values=values, errors=errors, row=None if errors else row)
    return line


def _parse_records(records) -> ParsedInventory:
    """``records`` gives (line number, cells as text) in file order."""
    mapping = None
    lines = []
    for number, cells in records:
        if number > MAX_LINES:
            raise InventoryFileError(
                _("ファイルの行が多すぎます（空の行も含めて%(max)s行まで読みます）。") % {"max": f"{MAX_LINES:,}"}
            )
        cells = [without_forbidden_characters(cell) for cell in cells]
        if not any(cell.strip() for cell in cells):
            continue
        if mapping is None:
            if len(cells) > MAX_COLUMNS and any(cell.strip() for cell in cells[MAX_COLUMNS:]):
                raise InventoryFileError(_("列が多すぎます（%(max)s列まで）。") % {"max": MAX_COLUMNS})
            mapping = _header_map(cells)
            continue
        if len(lines) >= MAX_INVENTORY_ROWS:
            raise InventoryFileError(
                _("行が多すぎます。データ項目一覧は%(max)s行までです（このファイルは%(max)s行を超えています）。"
                  "分けて取り込んでください。") % {"max": MAX_INVENTORY_ROWS}
            )
        line = _clean_line(number, cells, mapping)
        if line.errors or line.row is not None:
            lines.append(line)
    if mapping is None:
        raise InventoryFileError(_("ファイルが空です。1行目に見出し（%(labels)s）を書いてください。") % {"labels": _("、").join(header())})
    return ParsedInventory(lines=lines)


def _check_size(data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise InventoryFileError(
            _("ファイルが大きすぎます（%(size)sバイト、%(max)sバイトまで）。") % {"size": f"{len(data):,}", "max": f"{MAX_FILE_BYTES:,}"}
        )


def decode_csv(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (with or without BOM), else Shift_JIS (CP932, what Excel in Japan writes)."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InventoryFileError(_("文字コードを読み取れません。UTF-8 または Shift_JIS の CSV にしてください。"))


def _unquoted(cell: str) -> str:
    """A CSV cell without the quote that rows_csv puts before formula-like text."""
    return cell[1:] if cell.startswith("'") and starts_like_formula(cell[1:].lstrip("'")) else cell


def parse_csv(data: bytes) -> ParsedInventory:
    _check_size(data)
    text = decode_csv(data)
    reader = csv_reader(text)

    def records():
        number = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error:
                raise InventoryFileError(
                    _("%(line)s行目をCSVとして読めません（引用符 \" の閉じ忘れや、ファイルの途中の空文字などを確かめてください）。")
                    % {"line": number + 1}
                ) from None
            number += 1  # a record is one row of the spreadsheet, even when a quoted cell spans lines
            yield number, [_unquoted(cell) for cell in cells]

    return _parse_records(records())


def _xlsx_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def parse_xlsx(data: bytes) -> ParsedInventory:
    """The first sheet of an XLSX workbook (values as Excel last computed them, never formulas)."""
    from openpyxl import load_workbook

    _check_size(data)
    corrupt = _("Excel（.xlsx）のファイルとして読めません。Excel で開けるか確かめ、.xlsx か CSV で保存し直してください。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_XLSX_UNPACKED_BYTES:
            raise InventoryFileError(_("ファイルの中身が大きすぎます。行や列を減らして保存し直してください。"))
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except InventoryFileError:
        raise
    except Exception:  # zipfile.BadZipFile, openpyxl's InvalidFileException, KeyError, an XML ParseError …: never a 500
        raise InventoryFileError(corrupt) from None
    try:
        if not workbook.worksheets:
            raise InventoryFileError(corrupt)
        sheet = workbook.worksheets[0]

        def records():
            for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True), start=1):
                yield number, [_xlsx_text(value) for value in values]

        return _parse_records(records())
    except InventoryFileError:
        raise
    except Exception:  # openpyxl reads the sheet lazily: any XML or zip error surfaces here
        raise InventoryFileError(corrupt) from None
    finally:
        workbook.close()


def parse_upload(upload) -> ParsedInventory:
    """An uploaded file (Django's UploadedFile): CSV or XLSX, told by its content and name."""
    if upload.size is not None and upload.size > MAX_FILE_BYTES:
        raise InventoryFileError(
            _("ファイルが大きすぎます（%(size)sバイト、%(max)sバイトまで）。") % {"size": f"{upload.size:,}", "max": f"{MAX_FILE_BYTES:,}"}
        )
    data = upload.read(MAX_FILE_BYTES + 1)
    name = (upload.name or "").lower()
    if data.startswith(b"PK\x03\x04") or name.endswith((".xlsx", ".xlsm")):
        return parse_xlsx(data)
    if name.endswith(".xls") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InventoryFileError(_("古い Excel 形式（.xls）は読めません。.xlsx か CSV で保存し直してください。"))
    if not name.endswith((".csv", ".txt")) and name:
        raise InventoryFileError(_("CSV（.csv）または Excel（.xlsx）のファイルを選んでください。"))
    return parse_csv(data)


# --- Writing ----------------------------------------------------------------------------------------


def _cells(row: dict) -> list[str]:
    return [str(YES_NO_LABELS.get(row.get(name) or "unknown", row.get(name))) if name in YES_NO_FIELDS
            else (row.get(name) or "") for name in ROW_FIELDS]


def _csv_text(value):
    """csv_cell, and one more quote before text that already starts with quotes and then a formula, so
    that parse_csv (which takes one quote away) gives the stored text back."""
    cell = csv_cell(value)
    if isinstance(value, str) and cell == value and value.startswith("'") and starts_like_formula(value.lstrip("'")):
        cell = "'" + cell
    return cell


def rows_csv(rows: list[dict]) -> bytes:
    """The rows as CSV: UTF-8 with BOM (Excel opens Japanese correctly), the editor's labels as header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_text(cell) for cell in header()])
    for row in rows:
        writer.writerow([_csv_text(cell) for cell in _cells(row)])
    return (BOM + buffer.getvalue()).encode("utf-8")


def rows_xlsx(rows: list[dict]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("データ項目一覧"))
    sheet.append(xlsx_row(sheet, header()))
    for row in rows:
        sheet.append(xlsx_row(sheet, _cells(row)))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- The assessment's inventory ---------------------------------------------------------------------


def inventory_question(assessment: Assessment) -> Question | None:
    return (
        Question.objects.filter(question_set_id=assessment.question_set_id, type=Question.Type.INVENTORY)
        .select_related("section").first()
    )


@dataclass
class StoredInventory:
    answer: Answer | None
    rows: list[dict]

    @property
    def version(self) -> int:
        return answer_saving.part_version(self.answer, "rows")

    @property
    def token(self) -> str:
        return part_token(self.version, self.rows)


def stored_inventory(assessment: Assessment, question: Question) -> StoredInventory:
    """The inventory as stored (2 queries, however many rows)."""
    answer = Answer.objects.filter(assessment=assessment, question=question).prefetch_related("inventory_rows").first()
    return StoredInventory(answer=answer, rows=answer_saving.row_dicts(answer) if answer else [])


def combined_rows(stored: list[dict], new: list[dict], mode: str) -> list[dict]:
    """The inventory after the import; InventoryFileError when it would be too long."""
    rows = [*stored, *new] if mode == APPEND else list(new)
    if len(rows) > MAX_INVENTORY_ROWS:
        raise InventoryFileError(
            _("今ある%(stored)s行に%(new)s行を加えると%(total)s行になり、上限の%(max)s行を超えます。"
              "「今ある行をすべて置き換える」を選ぶか、行を減らしてください。")
            % {"stored": len(stored), "new": len(new), "total": len(rows), "max": MAX_INVENTORY_ROWS}
        )
    return rows


def budget_problem(assessment: Assessment, stored: list[dict], rows: list[dict]) -> str:
    """The content budget's message if writing ``rows`` would take the assessment past it (as answers_save
    would refuse it), else ""."""
    growth = answer_saving.content_size("rows", rows) - answer_saving.content_size("rows", stored)
    size = Assessment.objects.values_list("content_size", flat=True).get(pk=assessment.pk)
    if growth > 0 and size + growth > answer_saving.CONTENT_BUDGET:
        return answer_saving.too_large_message(size + growth)
    return ""


def sign_import(assessment: Assessment, *, rows: list[dict], mode: str, token: str) -> str:
    return signing.dumps(
        {"assessment": assessment.pk, "rows": rows, "mode": mode, "token": token},
        salt=SIGNING_SALT, compress=True,
    )


def read_signed_import(assessment: Assessment, payload: str) -> tuple[list[dict], str, str]:
    """(rows, mode, token) of a preview's signed payload; ImportRefused if it is not ours or too old."""
    try:
        data = signing.loads(payload or "", salt=SIGNING_SALT, max_age=SIGNED_MAX_AGE)
    except signing.SignatureExpired:
        raise ImportRefused(_("確認画面を開いてから1時間以上たちました。もう一度ファイルを選んでください。")) from None
    except signing.BadSignature:
        raise ImportRefused(_("確認画面の内容を確かめられませんでした。もう一度ファイルを選んでください。")) from None
    if (
        not isinstance(data, dict) or data.get("assessment") != assessment.pk or data.get("mode") not in (APPEND, REPLACE)
        or not isinstance(data.get("rows"), list) or read_part_token(data.get("token")) is None
    ):
        raise ImportRefused(_("確認画面の内容を確かめられませんでした。もう一度ファイルを選んでください。"))
    return data["rows"], data["mode"], data["token"]


STALE_MESSAGE = gettext_lazy(
    "取り込みませんでした。確認画面を開いた後に、別のタブまたは別の人がデータ項目一覧を変更しました。"
    "今のデータ項目一覧を確かめてから、もう一度ファイルを選んでください。"
)


@transaction.atomic
def import_rows(*, assessment: Assessment, user, question: Question, rows: list[dict], mode: str, token: str) -> int:
    """Write the previewed ``rows`` (append to or replace the inventory) through answers_save, based on
    the version ``token`` the preview showed. Returns the number of rows imported; ImportRefused (and
    nothing written) when the inventory changed since, the result is too long or too large."""
    try:
        rows = clean_rows("rows", rows)  # the same rules again (the payload is ours, the rules may have moved)
    except (RowErrors, forms.ValidationError) as error:
        raise ImportRefused(" ".join(error.messages)) from None
    base, digest = read_part_token(token)
    stored = stored_inventory(assessment, question)
    if stored.version != base or content_digest(stored.rows) != digest:
        raise ImportRefused(str(STALE_MESSAGE), stale=True)
    try:
        final = combined_rows(stored.rows, rows, mode)
    except InventoryFileError as error:
        raise ImportRefused(str(error)) from None
    change = answer_saving.AnswerChange(rows=final, base={"rows": base})
    outcome = answer_saving.answers_save(assessment=assessment, user=user, changes={question: change})
    if outcome.conflicts:
        raise ImportRefused(str(STALE_MESSAGE), stale=True)
    if outcome.too_large:
        raise ImportRefused(outcome.too_large)
    return len(rows)


# --- Forms -------------------------------------------------------------------------------------------


class InventoryImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("ファイル（CSV または Excel の .xlsx）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("取り込み方"),
        choices=[(APPEND, gettext_lazy("今ある行の後ろに追加")), (REPLACE, gettext_lazy("今ある行をすべて置き換える"))],
        initial=APPEND, widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "1行目に見出し（データ項目、要配慮個人情報 など）を書いたファイル。%(rows)s行・%(mb)sMBまで。"
        ) % {"rows": MAX_INVENTORY_ROWS, "mb": MAX_FILE_BYTES // 1_000_000}

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None:
            try:
                cleaned["parsed"] = parse_upload(upload)
            except InventoryFileError as error:
                self.add_error("file", str(error))
        return cleaned


class InventoryConfirmForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput, max_length=2_000_000)
