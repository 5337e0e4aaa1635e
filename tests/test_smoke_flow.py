from tests.helpers import Browser


def test_signup_then_payment(client):
    browser = Browser(client)
    browser.signup()
    page = client.get("/profile?welcome=1").get_data(as_text=True)
    assert "Welcome to Demo Bank" in page
    assert "Erika Mustermann" in page
    request_id = browser.confirm_payment("Maria Garcia", "45.00", "Dinner")
    browser.wallet_answer(browser.wallet_url(request_id))
    status = browser.status(request_id)
    assert status["status"] == "authorized", status
    assert status["next_url"] == f"/send/success/{request_id}"
    page = client.get(status["next_url"]).get_data(as_text=True)
    assert "Maria Garcia" in page and "€45.00" in page
