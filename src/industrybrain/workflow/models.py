"""The transition log: one row per move of any workflow object (generic foreign key)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Transition(models.Model):
    """Who moved what from which state to which, when, why and with what evidence.

    Not shown to users on its own: pages and the API show the log of an object the user may already
    see (e.g. `project.transitions()`), so it needs no scope_paths of its own.
    """

    workflow = models.CharField(_("流程"), max_length=40)
    content_type = models.ForeignKey(ContentType, models.CASCADE, verbose_name=_("对象类型"))
    object_id = models.PositiveBigIntegerField(_("对象ID"))
    target_object = GenericForeignKey("content_type", "object_id")
    source_state = models.CharField(_("原状态"), max_length=40)
    target_state = models.CharField(_("新状态"), max_length=40)
    is_backward = models.BooleanField(_("回退"), default=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                              related_name="workflow_transitions", verbose_name=_("操作人"))
    created_at = models.DateTimeField(_("操作时间"), auto_now_add=True)
    effective_date = models.DateField(_("实际日期"), null=True, blank=True)
    reason = models.TextField(_("原因说明"), blank=True)
    evidence = models.JSONField(_("佐证材料"), default=list, blank=True)
    data = models.JSONField(_("附加数据"), default=dict, blank=True)
    idempotency_key = models.CharField(_("提交标识"), max_length=64, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = verbose_name_plural = _("流程流转记录")
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "idempotency_key"],
                                    condition=~Q(idempotency_key=""), name="workflow_transition_idempotency"),
        ]

    def __str__(self) -> str:
        return f"{self.workflow} #{self.object_id}: {self.source_state} → {self.target_state}"

    @classmethod
    def for_object(cls, obj: models.Model) -> models.QuerySet[Transition]:
        return cls.objects.filter(content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk)
