"""The data inventory of one assessment as a file: download as CSV or XLSX, upload → preview → confirm.
Thin views: access first, then assessments.inventory_io does the work."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from assessments.languages import in_data_language
from assessments import inventory_io
from assessments.access import EDIT, VIEW, get_assessment_for_request
from assessments.forms import MAX_INVENTORY_ROWS
from assessments.views.documents import download_response


def _inventory(request, pk, need):
    assessment = get_assessment_for_request(request, pk, need=need)
    question = inventory_io.inventory_question(assessment)
    if question is None:
        raise Http404
    return assessment, question


def _filename(assessment, extension: str) -> str:
    return _("データ項目一覧-%(pk)s.%(ext)s") % {"pk": assessment.pk, "ext": extension}


@in_data_language
@login_required
def inventory_csv(request, pk):
    assessment, question = _inventory(request, pk, VIEW)
    rows = inventory_io.stored_inventory(assessment, question).rows
    return download_response(inventory_io.rows_csv(rows), inventory_io.CSV_CONTENT_TYPE, _filename(assessment, "csv"))


@in_data_language
@login_required
def inventory_xlsx(request, pk):
    assessment, question = _inventory(request, pk, VIEW)
    rows = inventory_io.stored_inventory(assessment, question).rows
    return download_response(inventory_io.rows_xlsx(rows), inventory_io.XLSX_CONTENT_TYPE, _filename(assessment, "xlsx"))


def _section_url(assessment, question) -> str:
    return reverse("assessment_section", args=[assessment.pk, question.section.key]) + "#inventory"


@login_required
def inventory_import(request, pk):
    """GET: the upload form. POST with a file: the preview (nothing written). POST with the preview's
    signed payload: the rows written, or the reason they were not."""
    assessment, question = _inventory(request, pk, EDIT)
    if not assessment.answers_editable:
        raise PermissionDenied(_("提出後の回答は、差し戻されるまで変更できません。"))
    stored = inventory_io.stored_inventory(assessment, question)
    context = {
        "assessment": assessment, "question": question, "section_url": _section_url(assessment, question),
        "stored_count": len(stored.rows), "max_rows": MAX_INVENTORY_ROWS,
        "max_megabytes": inventory_io.MAX_FILE_BYTES // 1_000_000, "labels": inventory_io.column_labels(),
    }
    if request.method == "POST" and "payload" in request.POST:
        return _confirm(request, assessment, question, context)
    if request.method != "POST":
        return render(request, "assessments/inventory_import.html", {**context, "form": inventory_io.InventoryImportForm()})
    form = inventory_io.InventoryImportForm(request.POST, request.FILES)  # bound even when empty: the message shows
    if not form.is_valid():
        return render(request, "assessments/inventory_import.html", {**context, "form": form}, status=400)
    parsed, mode = form.cleaned_data["parsed"], form.cleaned_data["mode"]
    context.update(form=form, parsed=parsed, mode=mode, replace=mode == inventory_io.REPLACE)
    if parsed.errors:
        return render(request, "assessments/inventory_import_preview.html", context, status=400)
    rows = parsed.rows
    problem = ""
    if not rows:
        problem = _("取り込む行がありません（見出しの行だけか、空の行だけです）。")
    else:
        try:
            final = inventory_io.combined_rows(stored.rows, rows, mode)
        except inventory_io.InventoryFileError as error:
            problem = str(error)
        else:
            problem = inventory_io.budget_problem(assessment, stored.rows, final)
    if problem:
        context["problem"] = problem
        return render(request, "assessments/inventory_import_preview.html", context, status=400)
    context["payload"] = inventory_io.sign_import(assessment, rows=rows, mode=mode, token=stored.token)
    context["rows"] = rows
    return render(request, "assessments/inventory_import_preview.html", context)


def _confirm(request, assessment, question, context):
    form = inventory_io.InventoryConfirmForm(request.POST)
    try:
        if not form.is_valid():
            raise inventory_io.ImportRefused(_("確認画面の内容を確かめられませんでした。もう一度ファイルを選んでください。"))
        rows, mode, token = inventory_io.read_signed_import(assessment, form.cleaned_data["payload"])
        count = inventory_io.import_rows(
            assessment=assessment, user=request.user, question=question, rows=rows, mode=mode, token=token,
        )
    except inventory_io.ImportRefused as error:
        context.update(form=inventory_io.InventoryImportForm(), refused=str(error))
        return render(request, "assessments/inventory_import.html", context, status=409 if error.stale else 400)
    messages.success(request, _("%(n)s行を取り込みました。") % {"n": count})
    return redirect(_section_url(assessment, question))
