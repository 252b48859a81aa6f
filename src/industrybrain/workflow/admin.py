from django.contrib import admin

from .models import Transition


@admin.register(Transition)
class TransitionAdmin(admin.ModelAdmin):
    list_display = ["workflow", "object_id", "source_state", "target_state", "is_backward", "actor", "created_at"]
    list_filter = ["workflow", "is_backward"]
    readonly_fields = [f.name for f in Transition._meta.fields]
