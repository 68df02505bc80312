from django.urls import path

from assessments.views import catalogue, questionsets, wizard

urlpatterns = [
    path("", catalogue.home, name="home"),
    path("projects/", catalogue.project_list, name="project_list"),
    path("projects/<slug:key>/", catalogue.project_detail, name="project_detail"),
    path("projects/<slug:key>/assess/", wizard.assessment_start, name="assessment_start"),
    path("question-sets/", questionsets.questionset_list, name="questionset_list"),
    path("question-sets/<slug:key>/v<int:version>/", questionsets.questionset_detail, name="questionset_detail"),
    path("assessments/", wizard.assessment_list, name="assessment_list"),
    path("assessments/<int:pk>/", wizard.assessment_detail, name="assessment_detail"),
    path("assessments/<int:pk>/sections/<slug:section_key>/", wizard.assessment_section, name="assessment_section"),
    path("assessments/<int:pk>/autosave/", wizard.assessment_autosave, name="assessment_autosave"),
    path("assessments/<int:pk>/summary/", wizard.assessment_summary, name="assessment_summary"),
]
