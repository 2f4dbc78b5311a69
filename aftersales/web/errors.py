"""Error pages in the site's layout and the visitor's language, with a way back."""

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

PAGES = {
    400: (_("Bad request"), _("The request could not be understood. Go back and try again.")),
    403: (_("Not allowed"),
          _("You do not have access to this page. If you think you should, ask a supervisor.")),
    404: (_("Page not found"),
          _("This page does not exist, or the link is no longer valid.")),
    500: (_("Something went wrong"),
          _("An error on our side stopped this page. It has been logged; please try again "
            "in a few minutes.")),
}


def _page(request, status: int):
    heading, explanation = PAGES[status]
    return render(request, "error.html",
                  {"status": status, "heading": heading, "explanation": explanation},
                  status=status)


def bad_request(request, exception=None):
    return _page(request, 400)


def permission_denied(request, exception=None):
    return _page(request, 403)


def page_not_found(request, exception=None):
    return _page(request, 404)


def server_error(request):
    return _page(request, 500)
