"""What the walk through the desk found (issue 11, point 8): the 403 page's way back, the
API docs for a signed-out browser, the admin's own labels, the queue's search."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from tests.factories import staff_user


def test_the_403_page_offers_the_way_back_not_the_admin(db):
    analyst = staff_user("risk_analyst")
    analyst.is_staff = True  # even an admin-site user is offered the way back
    analyst.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(analyst)

    response = client.get(reverse("cases:floor"), HTTP_REFERER="http://testserver/?reason=other")

    assert response.status_code == 403
    body = response.content.decode()
    denied = body.split('data-test="denied"')[1]
    assert 'href="http://testserver/?reason=other"' in denied and ">Back<" in denied
    assert f'href="{reverse("cases:home")}" data-test="denied-home"' in denied
    assert "Log in as someone else" in denied
    assert reverse("admin:index") not in denied


def test_the_403_page_without_a_referer_has_no_back_link(db):
    client = Client()
    client.force_login(staff_user("risk_analyst"))
    response = client.get(reverse("cases:floor"))
    assert response.status_code == 403
    assert 'data-test="denied-back"' not in response.content.decode()


def test_the_api_docs_send_a_signed_out_browser_to_the_login_page(db):
    response = Client().get("/api/docs/", HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/api/docs/"


def test_the_api_docs_still_answer_an_api_client_401(db):
    assert Client().get("/api/docs/", HTTP_ACCEPT="*/*").status_code == 401
    response = Client().get(
        "/api/docs/", HTTP_ACCEPT="text/html", HTTP_AUTHORIZATION="Token not-a-key"
    )
    assert response.status_code == 401


def test_the_admin_says_whose_it_is(db):
    admin = staff_user("team_lead")
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(admin)
    body = client.get(reverse("admin:index")).content.decode()
    assert "Arbitration desk administration" in body
    assert "Django administration" not in body and "Django site admin" not in body
    assert "Webhook deliveries" in body and "deliverys" not in body
