"""An anonymous phone (360×740) opens a survey link, answers it, and is refused the second time."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from crm_site.roles import Role
from crm_site.testing import chromium_driver, click
from crm_site.tests.test_csp_browser import RECORD_VIOLATIONS
from visits import channels
from visits.models import InvitationStatus, QuestionType, SurveyInvitation, Visit
from visits.surveys import survey_invitations_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_phone_answers_a_survey_once(live_server, prefecture, settings):
    settings.SURVEY_BASE_URL = live_server.url
    channels.outbox.clear()
    shop = prefecture["shops"]["a"]
    shop.account_manager = prefecture["users"][Role.SALES_MANAGER]
    shop.save()
    survey_invitations_create()  # a real commit: the send task runs (eager) and the link is in the outbox
    link = next(message.body for message in channels.outbox if message.to == shop.phone).split()[-2]
    link = link[link.index("http") :]
    browser = chromium_driver("en")  # the phone asks for English: the survey stays Chinese
    try:
        browser.implicitly_wait(2)
        browser.set_window_size(360, 740)
        browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
        browser.get(link)
        assert browser.find_element(By.ID, "shop-name").text == shop.name
        assert not browser.find_elements(By.CSS_SELECTOR, "nav, a[href]")  # no way into the CRM
        # Submitting with nothing answered names the questions that need an answer.
        click(browser, browser.find_element(By.ID, "submit-survey"))
        errors = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "form-errors")))
        assert "请回答第1题" in errors.text
        invitation = SurveyInvitation.objects.get(retailer=shop)
        for number, question in enumerate(invitation.questionnaire.questions.all(), start=1):
            fieldset = browser.find_element(By.ID, f"question-{number}")
            if question.type == QuestionType.TEXT:
                fieldset.find_element(By.TAG_NAME, "textarea").send_keys("送货很准时，谢谢")
                continue
            wanted = {"rating": "2", "nps": "8"}.get(question.type) or question.option_list[0]
            label = next(option for option in fieldset.find_elements(By.CSS_SELECTOR, "label.choice")
                         if option.text == wanted)  # fmt: skip
            click(browser, label)
        assert browser.execute_script("return document.documentElement.scrollWidth") <= 360  # fits the phone
        click(browser, browser.find_element(By.ID, "submit-survey"))
        thanks = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "survey-thanks")))
        assert "感谢" in thanks.text
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.ANSWERED
        assert Visit.objects.filter(retailer=shop, kind="follow_up").count() == 1  # the rating of 2
        # The same link again: a clear page, not the form.
        browser.get(link)
        closed = browser.find_element(By.ID, "survey-closed")
        assert "已经提交" in closed.text
        assert not browser.find_elements(By.ID, "survey-form")
        assert browser.execute_script("return window.__csp") == []
    finally:
        browser.quit()
