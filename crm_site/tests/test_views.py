import pytest
from django.urls import reverse

from crm_site.navigation import AREAS
from crm_site.roles import Role
from crm_site.testing import TEST_PASSWORD

pytestmark = pytest.mark.django_db

ALLOWED = {area.key: area.roles for area in AREAS}


def test_login_page_is_chinese_by_default(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="zh-hans">' in content
    assert "登录" in content


@pytest.mark.parametrize("role", list(Role))
def test_each_role_logs_in_with_its_password_and_lands_on_home(client, users, role):
    response = client.post(reverse("login"), {"username": role.value, "password": TEST_PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["user"] == users[role]
    assert "您好" in response.content.decode()


def test_wrong_password_is_refused_with_a_chinese_message(client, users):
    response = client.post(reverse("login"), {"username": "clerk", "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", list(Role))
def test_navigation_shows_each_role_only_its_areas(client_for, users, role):
    content = client_for(users[role]).get(reverse("home")).content.decode()
    for area in AREAS:
        assert (f'data-area="{area.key}"' in content) == (role in area.roles), area.key
    assert ('data-area="admin"' in content) == users[role].is_staff


@pytest.mark.parametrize("area_key", ["grading", "complaints", "visits", "loyalty", "analytics"])
@pytest.mark.parametrize("role", list(Role))
def test_area_pages_open_for_allowed_roles_and_403_for_others(client_for, users, role, area_key):
    response = client_for(users[role]).get(reverse(f"{area_key}:index"))
    if role in ALLOWED[area_key]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert "无权访问" in response.content.decode()


def test_language_switch_to_english_and_back(client_for, users):
    client = client_for(users[Role.COMPLAINT_CLERK])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    content = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in content
    assert "Hello" in content
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "您好" in client.get(reverse("home")).content.decode()


def test_password_change_then_logout(client, users):
    user = users[Role.SALES_MANAGER]
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": "Tobacco-2026-new", "new_password2": "Tobacco-2026-new"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Tobacco-2026-new")
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_unknown_page_is_a_friendly_404(client_for, users):
    response = client_for(users[Role.ADMIN]).get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_logout_requires_post_with_csrf(users):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(users[Role.ADMIN])
    assert client.post(reverse("logout")).status_code == 403


def test_form_errors_message_names_fields_and_can_carry_the_details():
    from django import forms

    from crm_site.forms import form_errors_message

    class Form(forms.Form):
        phone = forms.CharField(label="电话")
        day = forms.DateField(label="日期")

    form = Form({"phone": "", "day": "x"})
    assert not form.is_valid()
    assert form_errors_message(form) == "请修正以下字段：电话、日期"
    detailed = form_errors_message(form, with_details=True)
    assert detailed.startswith("电话：") and "日期：" in detailed


@pytest.mark.parametrize(("role", "count"), [(Role.SALES_MANAGER, 1), (Role.SUPERVISOR, 2), (Role.ADMIN, 3)])
def test_home_says_how_many_shops_the_user_can_see(client_for, users, role, count):
    """A line that retailers registers (crm_site/home.py): the home page imports no higher app."""
    assert f"您可查看 {count} 户零售客户。" in client_for(users[role]).get(reverse("home")).content.decode()


def test_the_browsers_favicon_request_finds_the_sites_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("favicon.svg")
