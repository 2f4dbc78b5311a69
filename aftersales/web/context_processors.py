from django.http import HttpRequest

from aftersales.cases.kinds import nav_links_for
from aftersales.people.roles import user_roles


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": [], "new_case_links": [], "kind_links": []}
    new_case, others = nav_links_for(user)
    return {"user_roles": user_roles(user), "new_case_links": new_case, "kind_links": others}
