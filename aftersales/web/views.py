
from django.conf import settings
from django.contrib.auth.views import LoginView, PasswordResetView
from django.http import HttpResponseRedirect

from aftersales.people.signin import ThrottledAuthenticationForm, password_reset_allowed


class ThrottledLoginView(LoginView):
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


class ThrottledPasswordResetView(PasswordResetView):
    """Django's password reset, sending at most PASSWORD_RESET_LIMIT e-mails per address and
    per target an hour; the answer is the same "check your e-mail" page either way."""

    def form_valid(self, form):
        if not password_reset_allowed(self.request, form.cleaned_data["email"]):
            return HttpResponseRedirect(self.get_success_url())
        self.extra_email_context = {"site_url": settings.SITE_URL.rstrip("/")}
        return super().form_valid(form)


