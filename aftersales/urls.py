from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from aftersales.cases.views import attachment_download
from aftersales.web import views
from aftersales.web.portal import FindCaseView, PortalView

urlpatterns = [
    path("", PortalView.as_view(), name="home"),
    path("find/", FindCaseView.as_view(), name="portal_find"),
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.svg"), permanent=True)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", views.ThrottledLoginView.as_view(), name="login"),
    path("accounts/password_reset/", views.ThrottledPasswordResetView.as_view(),
         name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("files/<int:pk>/", attachment_download, name="attachment"),
    path("c/", include("complaints.urls")),
    path("r/", include("returns.urls")),
    path("d/", include("delivery.urls")),
    path("jobs/", include("aftersales.fieldservice.urls")),
    path("compensation/", include("aftersales.compensation.urls")),
    path("", include("analytics.urls")),
    path("", include("aftersales.web.urls")),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()

handler400 = "aftersales.web.errors.bad_request"
handler403 = "aftersales.web.errors.permission_denied"
handler404 = "aftersales.web.errors.page_not_found"
handler500 = "aftersales.web.errors.server_error"
