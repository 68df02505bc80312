from django.urls import path

from assessments.views import catalogue, documents, public, questionsets, reviews, wizard

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
    path("assessments/<int:pk>/review/", reviews.review_page, name="assessment_review"),
    path("assessments/<int:pk>/transition/", reviews.transition, name="assessment_transition"),
    path("assessments/<int:pk>/reviewers/", reviews.reviewer_add, name="reviewer_add"),
    path("assessments/<int:pk>/reviewers/<int:reviewer_id>/remove/", reviews.reviewer_remove, name="reviewer_remove"),
    path("assessments/<int:pk>/opinions/", reviews.opinion_save, name="opinion_save"),
    path("assessments/<int:pk>/resident-views/", reviews.resident_views_save, name="resident_views_save"),
    path("assessments/<int:pk>/comments/", reviews.comment_add, name="comment_add"),
    path("assessments/<int:pk>/questions/<slug:question_key>/history/", reviews.answer_history, name="answer_history"),
    path("public/", public.public_list, name="public_list"),
    path("public/<int:pk>/", public.public_assessment, name="public_assessment"),
    path("public/<int:pk>/report.pdf", public.public_report_pdf, name="public_report_pdf"),
    path("public/<int:pk>/letter.pdf", public.public_letter_pdf, name="public_letter_pdf"),
]
