"""Drives Debian's headless chromium through chromium-driver (PyPI selenium) over the
pages Switchback serves at `/`, as a user and an operator would, and prints one JSON
object per finding for WebPortalBrowserTests to check.

usage: web_portal_browser.py BASE SCREENSHOT_DIR USER_NUMBER CALLEE NEW_CALLER_ID LOGIN PASSWORD ADMIN_TOKEN
                             SMS_GATEWAY SMS_SECRET SMS_SERVICE
"""
import base64
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

base, shots, user_number, callee, new_caller_id, login, password, admin_token = sys.argv[1:9]
sms_gateway, sms_secret, sms_service = sys.argv[9:12]
SIZES = [(360, 640, True), (1280, 800, False)]
requested = []      # every URL the pages asked the network for (performance log)


def say(**finding):
    print(json.dumps(finding), flush=True)


options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions", "--lang=en-US", "--window-size=1280,800"]:
    options.add_argument(argument)
options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
driver.implicitly_wait(0)


def drain_network_log():
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            requested.append(message["params"]["request"]["url"])


def wait_for(condition, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception:   # the page is between loads
            pass
        time.sleep(0.1)
    raise TimeoutError(f"timed out waiting for {what} at {driver.current_url}")


def page_size():
    """The served HTML's size in bytes (the navigation's decoded body)."""
    return driver.execute_script(
        "var n = performance.getEntriesByType('navigation')[0]; return n ? n.decodedBodySize : -1;")


def screenshots(name, key_selectors):
    """The page at 360x640 (mobile) and 1280x800, each written as PNG and checked: the
    key elements are present and shown, the picture is not blank."""
    for width, height, mobile in SIZES:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
        time.sleep(0.2)
        missing = [s for s in key_selectors if not driver.find_elements(By.CSS_SELECTOR, s)
                   or not driver.find_element(By.CSS_SELECTOR, s).is_displayed()]
        horizontal_scroll = driver.execute_script(
            "return document.documentElement.scrollWidth > document.documentElement.clientWidth;")
        png = base64.b64decode(driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})["data"])
        path = os.path.join(shots, f"{name}-{width}x{height}.png")
        with open(path, "wb") as file:
            file.write(png)
        say(screenshot=os.path.basename(path), page=name, width=width, height=height, bytes=len(png),
            missing=missing, horizontalScroll=horizontal_scroll, url=driver.current_url, htmlBytes=page_size())
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    drain_network_log()


def sms_status_request(sender):
    """`I.` (account status) from `sender`, as the SMS gateway delivers it: only a caller ID
    the account has authorised is answered without U./P."""
    body = urllib.parse.urlencode({"gateway": sms_gateway, "secret": sms_secret, "sender": sender,
                                   "receiver": sms_service, "text": "I."}).encode()
    request = urllib.request.Request(base + "/sms/inbound", data=body, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        return {"httpStatus": error.code, "body": error.read().decode()}


def submit(form_selector):
    driver.find_element(By.CSS_SELECTOR, form_selector + " button[type=submit]").click()


try:
    # Sign in.
    driver.get(base + "/")
    wait_for(lambda: driver.current_url.endswith("/sign-in"), what="the sign-in page")
    screenshots("sign-in", ["header nav", "main h1", "#f-login", "label[for=f-login]", "#f-password", "label[for=f-password]"])
    driver.find_element(By.ID, "f-login").send_keys(login)
    driver.find_element(By.ID, "f-password").send_keys(password)
    submit("form[action='/sign-in']")
    wait_for(lambda: driver.current_url.endswith("/call"), what="the call page")
    say(signedIn=True, participants=driver.find_element(By.ID, "participants").text)
    screenshots("call", ["#f-numbers", "label[for=f-numbers]", "#f-two-from", "#f-two-to", "#participants"])

    # Connect two: the user's phone, then the callee; the status page follows the legs live.
    driver.find_element(By.ID, "f-two-from").send_keys(user_number)
    driver.find_element(By.ID, "f-two-to").send_keys(callee)
    submit("form[aria-label='Connect two']")
    wait_for(lambda: re.search(r"/call/\d+$", driver.current_url), what="the status page")
    status_url = driver.current_url
    driver.execute_script("window.__sameDocument = 'still here';")
    seen = {}
    request_states = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        # The legs and the request's state in one script: the page's event handler sets both
        # in one turn, so two reads could straddle it (request completed, legs not yet ended).
        cells, request = driver.execute_script(
            "return [Array.from(document.querySelectorAll('#legs tbody tr')).map(function (row) {"
            "  return [row.cells[1].textContent, row.querySelector('.state').getAttribute('data-state')]; }),"
            " document.getElementById('request-state').getAttribute('data-state')];")
        for index, (number, state) in enumerate(cells):
            states = seen.setdefault(f"{index}:{number}", [])
            if not states or states[-1] != state:
                states.append(state)
        if not request_states or request_states[-1] != request:
            request_states.append(request)
        if request in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.1)
    same_document = driver.execute_script("return window.__sameDocument;") == "still here"
    navigations = driver.execute_script("return performance.getEntriesByType('navigation')[0].type;")
    say(legs=seen, requestStates=request_states, sameDocument=same_document, statusURL=status_url,
        cancelHidden=not driver.find_element(By.ID, "cancel").is_displayed(),
        endedShown=driver.find_element(By.ID, "ended").is_displayed(), navigationType=navigations,
        ariaLive=driver.find_element(By.CSS_SELECTOR, "[aria-live=polite] #legs") is not None)
    screenshots("status", ["#legs", "#request-state", "[aria-live=polite]"])

    # My account: the history with each leg's cost, then a caller ID added on the page.
    driver.get(base + "/account")
    history = driver.execute_script(
        "return Array.from(document.querySelectorAll('#history tbody tr')).map(function (row) {"
        "  return Array.from(row.cells).map(function (cell) { return cell.textContent; }); });")
    say(history=history, balance=driver.find_element(By.ID, "balance").text,
        freeBalance=driver.find_element(By.ID, "free-balance").text)
    screenshots("account", ["#balance", "#free-balance", "#history", "#caller-ids", "#f-callerid", "#f-forward",
                            "label[for=f-mode]"])
    say(smsBefore=sms_status_request(new_caller_id))
    driver.find_element(By.ID, "f-callerid").send_keys(new_caller_id)
    submit("form[action='/account/caller-id-add']")
    wait_for(lambda: "saved=1" in driver.current_url, what="the saved account page")
    shown = driver.find_element(By.ID, "caller-ids").text
    auth = "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()
    with urllib.request.urlopen(urllib.request.Request(base + "/api/v1/caller-ids", headers={"Authorization": auth}),
                                timeout=10) as response:
        api_caller_ids = [item["number"] for item in json.load(response)]
    say(callerIDOnPage=new_caller_id in shown, apiCallerIDs=api_caller_ids)
    say(smsAfter=sms_status_request(new_caller_id))
    drain_network_log()

    # The operator's pages, with their own cookie.
    driver.get(base + "/operator")
    screenshots("operator-sign-in", ["#f-token", "label[for=f-token]"])
    driver.find_element(By.ID, "f-token").send_keys(admin_token)
    submit("form[action='/operator/sign-in']")
    wait_for(lambda: driver.find_elements(By.ID, "accounts"), what="the operator dashboard")
    say(operatorAccounts=driver.find_element(By.ID, "accounts").text.count(login) > 0,
        activeCalls=driver.find_element(By.ID, "active-calls").text)
    screenshots("operator", ["#active-calls", "#accounts", "#new-login", "#lots"])
    # The generated lot's CSV, fetched as the page's link would (same origin, its cookie).
    lot_link = driver.find_element(By.CSS_SELECTOR, "#lots a[download]").get_attribute("href")
    lot_csv = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(function (r) { return r.text().then(function (t) { done([r.status, t]); }); });",
        lot_link)
    say(lotLink=lot_link, lotStatus=lot_csv[0], lotCSV=lot_csv[1])

    # Sign out, then a wrong password five times: the sixth try, right or not, is refused.
    driver.get(base + "/call")
    driver.find_element(By.CSS_SELECTOR, "form[action='/sign-out'] button").click()
    wait_for(lambda: driver.current_url.endswith("/sign-in"), what="signed out")
    answers = []
    for attempt in range(6):
        driver.find_element(By.ID, "f-login").clear()
        driver.find_element(By.ID, "f-login").send_keys(login)
        driver.find_element(By.ID, "f-password").send_keys(password if attempt == 5 else "wrong-" + str(attempt))
        driver.execute_script("document.body.setAttribute('data-old', '1');")
        submit("form[action='/sign-in']")
        wait_for(lambda: driver.execute_script("return document.body && !document.body.hasAttribute('data-old');")
                 and driver.find_elements(By.CSS_SELECTOR, "p.error"), what="the sign-in answer")
        answers.append(driver.find_element(By.CSS_SELECTOR, "p.error").text)
    say(lockoutAnswers=answers, afterLockoutURL=driver.current_url)
    screenshots("locked-sign-in", ["p.error", "#f-login"])
    drain_network_log()
    say(requested=requested)
finally:
    driver.quit()
