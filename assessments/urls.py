from django.urls import path

from assessments.views import catalogue, documents, questionsets, wizard

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
    path("assessments/<int:pk>/report.pdf", documents.report_pdf, name="report_pdf"),
    path("assessments/<int:pk>/report/", documents.report_preview, name="report_preview"),
    path("assessments/<int:pk>/letter.pdf", documents.letter_pdf, name="letter_pdf"),
    path("assessments/<int:pk>/letter.txt", documents.letter_text, name="letter_text"),
    path("assessments/<int:pk>/letter/", documents.letter_preview, name="letter_preview"),
]
