from django.urls import path

from . import views

app_name = "policies"

urlpatterns = [
    path("", views.policy_list, name="policy-list"),
    path("new/", views.policy_create, name="policy-create"),
    path("mine/", views.my_policies, name="my-policies"),
    path("cases/", views.case_list, name="case-list"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
    path("cases/<int:pk>/action/", views.case_action, name="case-action"),
    path("ledger/", views.ledger, name="ledger"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("simulate/", views.simulate, name="simulate"),
    path("reductions/", views.reductions, name="reductions"),
    path("<int:pk>/", views.policy_detail, name="policy-detail"),
    path("<int:pk>/edit/", views.policy_edit, name="policy-edit"),
    path("<int:pk>/rematch/", views.policy_rematch, name="policy-rematch"),
    path("<int:pk>/qualifiers/", views.policy_qualifiers, name="policy-qualifiers"),
    path("<int:pk>/apply/", views.case_apply, name="case-apply"),
    path("<int:pk>/generate-list/", views.generate_list, name="generate-list"),
]
