from django.shortcuts import get_object_or_404, render

from assessments import risks, selectors
from assessments.models import QuestionSet


def questionset_list(request):
    return render(request, "questionsets/list.html", {"questionsets": selectors.published_questionsets()})


def questionset_detail(request, key, version):
    question_set = get_object_or_404(QuestionSet.objects.published(), key=key, version=version)
    return render(
        request,
        "questionsets/detail.html",
        {"question_set": question_set, "sections": selectors.questionset_structure(question_set),
         "levels": list(question_set.levels.all()), "changelog": list(question_set.changelog.all()),
         **risks.questionset_context(question_set)},
    )
