"""The permission matrix every staff view is tested against."""

from django.contrib.auth.views import redirect_to_login

LOGIN = "login"  # expected: a redirect to the sign-in page that comes back here afterwards
WHO = ("anonymous", "no_role", "other_handler", "handler", "agent", "supervisor", "admin_user")


def matrix(expected: dict[str, tuple]) -> list[tuple[str, str, object]]:
    """(view, who, expected outcome) for every row of a table with one column per WHO."""
    return [(view, who, outcome) for view, row in expected.items()
            for who, outcome in zip(WHO, row, strict=True)]


def request_as(client, user, method: str, path: str, data=None):
    if user is not None:
        client.force_login(user)
    return getattr(client, method)(path, data)


def assert_outcome(response, path: str, expected) -> None:
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.url == redirect_to_login(path).url
    else:
        assert response.status_code == expected
