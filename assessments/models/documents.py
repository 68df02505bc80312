"""Rows that let several app servers and the task worker share rendered documents
(assessments/reports/render.py, assessments/render_ahead.py)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RenderLock(models.Model):
    """Held while one process, on any server, renders one document revision: the row exists only
    then (reports.render.render_lock says why a row and not a row lock)."""

    key = models.CharField(_("文書の版"), max_length=120, unique=True)
    holder = models.CharField(_("保持者"), max_length=32)
    # A holder that died (a server killed mid-render) leaves its row; after this it is taken over.
    expires_at = models.DateTimeField(_("期限"))

    class Meta:
        verbose_name = _("文書作成中の印")
        verbose_name_plural = _("文書作成中の印")

    def __str__(self):
        return self.key


class WorkerHeartbeat(models.Model):
    """When each task worker (``manage.py render_worker``) last said it was alive."""

    worker_id = models.CharField(_("ワーカー"), max_length=64, unique=True)
    seen_at = models.DateTimeField(_("最終確認"))

    class Meta:
        verbose_name = _("ワーカーの生存確認")
        verbose_name_plural = _("ワーカーの生存確認")

    def __str__(self):
        return self.worker_id


class DocumentStamp(models.Model):
    """One row: a token that changes after every committed write to anything dxpia's documents may
    print (assessments/reports/document_stamp.py), so a download can tell, with one query, that
    nothing changed since it last built a document's HTML."""

    token = models.CharField(_("変更の印"), max_length=32)

    class Meta:
        verbose_name = _("文書の変更の印")
        verbose_name_plural = _("文書の変更の印")

    def __str__(self):
        return self.token


class AssessmentStamp(models.Model):
    """A token per assessment that changes after every committed save of its answers
    (assessments/reports/document_stamp.py, ``answers_of``): what its documents and those of its
    re-assessments print changed, and nothing else did. Rows are never removed: a deleted
    assessment's row names nothing (its deletion renewed the site's stamp)."""

    assessment_id = models.BigIntegerField(_("評価のID"), primary_key=True)
    token = models.CharField(_("変更の印"), max_length=32)

    class Meta:
        verbose_name = _("評価ごとの文書の変更の印")
        verbose_name_plural = _("評価ごとの文書の変更の印")

    def __str__(self):
        return f"{self.assessment_id}: {self.token}"
