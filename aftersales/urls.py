from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from aftersales.cases.views import attachment_download
from aftersales.web import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="complaints:public_new"), name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", views.ThrottledLoginView.as_view(), name="login"),
    path("accounts/password_reset/", views.ThrottledPasswordResetView.as_view(),
         name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("files/<int:pk>/", attachment_download, name="attachment"),
    path("c/", include("complaints.urls")),
    path("", include("analytics.urls")),
    path("", include("aftersales.web.urls")),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
