app_name = "cultivation"

urlpatterns: list = []
