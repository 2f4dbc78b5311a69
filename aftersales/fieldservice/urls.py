app_name = "fieldservice"

urlpatterns: list = []
