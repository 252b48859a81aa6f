from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

app_name = "core"

urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications-read"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("imports/", include("industrybrain.core.import_urls")),
]

# Login and logout live at the top level under Django's standard names.
auth_urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
