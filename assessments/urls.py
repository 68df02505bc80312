from django.urls import path

from assessments.views import catalogue, questionsets

urlpatterns = [
    path("", catalogue.home, name="home"),
    path("projects/", catalogue.project_list, name="project_list"),
    path("projects/<slug:key>/", catalogue.project_detail, name="project_detail"),
    path("question-sets/", questionsets.questionset_list, name="questionset_list"),
    path("question-sets/<slug:key>/v<int:version>/", questionsets.questionset_detail, name="questionset_detail"),
]
