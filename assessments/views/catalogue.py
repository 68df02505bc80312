from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from assessments import selectors
from assessments.access import assessments_visible_to
from assessments.forms import ProjectFilterForm
from assessments.models import Project, Topic

PROJECTS_PER_PAGE = 25


def home(request):
    return render(
        request,
        "catalogue/home.html",
        {"totals": selectors.source_totals(), "questionsets": selectors.published_questionsets(),
         "topics": Topic.objects.only("key", "title")},
    )


def topic_list(request):
    question_set = selectors.default_questionset()
    return render(request, "catalogue/topic_list.html", {
        "topics": selectors.topics_with_questions(Topic.objects.all(), question_set),
        "question_set": question_set,
    })


def project_list(request):
    form = ProjectFilterForm(request.GET or None)
    projects = selectors.project_search(**form.search_arguments()) if form.is_bound else selectors.project_search()
    page = Paginator(projects, PROJECTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "catalogue/project_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def project_detail(request, key):
    try:
        project = selectors.project_detail(key)
    except Project.DoesNotExist:
        raise Http404 from None
    question_set = selectors.default_questionset()
    assessments = assessments_visible_to(request.user).filter(project=project).select_related("question_set")
    return render(request, "catalogue/project_detail.html", {
        "project": project, "assessments": assessments, "partner_groups": selectors.partner_groups(project),
        "topics": selectors.topics_with_questions(project.topics.all(), question_set),
        "question_set": question_set,
    })
