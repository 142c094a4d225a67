"""What a person does in the admin, done in headless Chromium: log in, follow a link, press a
button, fill a form, read the messages, the fields and the timeline.

Every page the browser lands on is photographed as it is drawn, so a failing test leaves
behind each page it saw (written out by this folder's ``conftest.py``). Waits are explicit:
an action that loads a page returns once the old page is gone and the new one is complete.
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.text import slugify
from selenium.common.exceptions import NoSuchElementException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from casework.tests.users import DEMO_PASSWORD

WAIT_SECONDS = 15
# A full-page screenshot of a very long change form stops here (CSS pixels).
MAX_SHOT_HEIGHT = 12_000


@dataclass(frozen=True)
class PageShot:
    title: str
    png: bytes


def _xpath_literal(text: str) -> str:
    """``text`` as an XPath string literal, whatever quotes it holds."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    parts = text.split("'")
    return "concat(" + ', "\'", '.join(f"'{part}'" for part in parts) + ")"


class AdminBrowser:
    """One person's browser on the live server's admin."""

    def __init__(self, driver: WebDriver, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url.rstrip("/")
        self.shots: list[PageShot] = []

    # A fresh visitor.

    def start_afresh(self) -> None:
        """No cookies from an earlier test or user; English, whatever the machine's locale."""
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        self.driver.execute_cdp_cmd(
            "Network.setCookie",
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": self.base_url, "path": "/"},
        )

    def use_language(self, code: str) -> None:
        """Read the admin in ``code`` ("zh-hans") from the next page on, as the language menu does."""
        self.driver.execute_cdp_cmd(
            "Network.setCookie",
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": code, "url": self.base_url, "path": "/"},
        )

    @contextmanager
    def window(self, width: int, height: int) -> Iterator[None]:
        """The page drawn in a ``width`` x ``height`` viewport (CSS pixels), as on a laptop."""
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        try:
            yield
        finally:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def log_in(self, user) -> None:
        """Log in through the login page, as someone sitting down at another desk."""
        self.start_afresh()
        self.visit("/admin/login/")
        self.fill("username", user.get_username())
        self.fill("password", DEMO_PASSWORD)
        self.press("Log in")
        tools = self.driver.find_elements(By.ID, "user-tools")
        # textContent: the header shows the name in capitals (CSS), the page holds it as it is.
        assert tools and user.get_username() in tools[0].get_attribute("textContent"), (
            f"Logging in as {user.get_username()} failed: {self.text()[:500]}"
        )

    # Getting around: each of these loads a page, waits for it and photographs it.

    def visit(self, path: str) -> None:
        """Type an address on the live server into the address bar."""
        self._load(lambda: self.driver.get(self.base_url + path))

    def follow(self, link_text: str, *, within: str = "#content") -> None:
        """Click the link that reads ``link_text``."""
        link = self._one(
            [f".//a[normalize-space()={_xpath_literal(link_text)}]"], within, f"a link reading {link_text!r}"
        )
        self._load(link.click)

    def press(self, label: str, *, within: str = "#content") -> None:
        """Press the button (a submit input, a button or a link styled as one) labelled ``label``."""
        literal = _xpath_literal(label)
        button = self._one(
            [
                f".//input[@type='submit' and @value={literal}]",
                f".//button[normalize-space()={literal}]",
                f".//a[contains(concat(' ', normalize-space(@class), ' '), ' button ')"
                f" and normalize-space()={literal}]",
            ],
            within,
            f"a button labelled {label!r}",
        )
        self._load(button.click)

    def apply(self) -> None:
        """Send a transition's or step's form with its button, worded as the action."""
        button = self.driver.find_element(By.CSS_SELECTOR, "#case-action-form .submit-row input.default")
        self._load(button.click)

    def submit_form_by_hand(self, form_id: str) -> None:
        """Send a form the page drew but offers no button for, as a hand-made POST would."""
        form = self.driver.find_element(By.ID, form_id)
        self._load(lambda: self.driver.execute_script("arguments[0].submit()", form))

    # Filling in a form.

    def fill(self, name: str, value: str) -> None:
        field = self.driver.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)

    def choose(self, name: str, label: str) -> None:
        """Pick the option that reads ``label`` in a drop-down."""
        Select(self.driver.find_element(By.NAME, name)).select_by_visible_text(label)

    def pick(self, name: str, label: str) -> None:
        """Click the radio button of ``name`` whose label reads ``label``."""
        self.driver.find_element(
            By.XPATH,
            f"//label[input[@name={_xpath_literal(name)}] and normalize-space()={_xpath_literal(label)}]",
        ).click()

    def attach(self, name: str, path: Path) -> None:
        self.driver.find_element(By.NAME, name).send_keys(str(path))

    # What the page shows.

    @property
    def path(self) -> str:
        url = self.driver.current_url
        return url[len(self.base_url) :] if url.startswith(self.base_url) else url

    def heading(self) -> str:
        return self.driver.find_element(By.CSS_SELECTOR, "#content h1").text

    def text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def links(self, *, within: str = "#content") -> list[str]:
        """The words of every link shown, as written (the admin capitalises some in CSS)."""
        scope = self.driver.find_element(By.CSS_SELECTOR, within)
        return [
            " ".join(link.get_attribute("textContent").split())
            for link in scope.find_elements(By.TAG_NAME, "a")
            if link.is_displayed()
        ]

    def messages(self) -> list[str]:
        """The success, warning and error messages at the top of the page."""
        return [item.text for item in self.driver.find_elements(By.CSS_SELECTOR, "ul.messagelist li")]

    def refusal(self) -> str:
        """The words of a refusal for who the user is: the page is the "Not allowed" page (a
        403, templates/403.html), which says nothing was changed; this returns its reason."""
        assert self.heading() == "Not allowed", f"{self.path} is not the refusal page: {self.text()[:500]}"
        assert "Nothing was changed." in self.text(), self.text()[:500]
        assert not self.messages(), f"a refusal page that also shows messages: {self.messages()}"
        return self.driver.find_element(By.CSS_SELECTOR, "#content p.errornote").text

    def state(self) -> str:
        """The case's state, as the badge in the case page's header shows it."""
        return self.driver.find_element(By.CSS_SELECTOR, ".case-header .case-state").text

    def deadlines(self) -> list[str]:
        """The header's deadlines as shown: first response, then resolution."""
        shown = self.driver.find_elements(By.CSS_SELECTOR, ".case-header .deadline")
        return [element.text for element in shown]

    def field(self, name: str) -> str:
        """A read-only field's value on a change form, as shown (a folded section opened)."""
        self.unfold()
        return self.driver.find_element(By.CSS_SELECTOR, f".field-{name} .readonly").text

    def buttons(self) -> list[str]:
        """The labels of everything the page offers to press below the form: save and delete,
        transitions, recorded steps."""
        found = self.driver.find_elements(
            By.CSS_SELECTOR,
            ".submit-row input[type=submit], .submit-row button,"
            " .submit-row a.button, .submit-row a.deletelink",
        )
        return [(element.get_attribute("value") or element.text).strip() for element in found]

    def button_top(self, label: str) -> tuple[float, float]:
        """Where the button labelled ``label`` starts on the page as drawn, without scrolling:
        (its top, the window's inner height), in CSS pixels."""
        literal = _xpath_literal(label)
        button = self._one(
            [
                f".//button[normalize-space()={literal}]",
                f".//a[contains(concat(' ', normalize-space(@class), ' '), ' button ')"
                f" and normalize-space()={literal}]",
            ],
            "#content",
            f"a button labelled {label!r}",
        )
        return tuple(
            self.driver.execute_script(
                "window.scrollTo(0, 0);"
                "return [arguments[0].getBoundingClientRect().top, window.innerHeight];",
                button,
            )
        )

    def unfold(self) -> None:
        """Open every folded section (``<details>``), as a reader clicks their summaries."""
        self.driver.execute_script(
            "document.querySelectorAll('#content details').forEach(d => { d.open = true; });"
        )

    def save_screenshot(self, path: Path, *, window_only: bool = False) -> Path:
        """This page as a PNG at ``path``: the whole page, or only what the window shows."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.driver.get_screenshot_as_png() if window_only else self.screenshot())
        return path

    def timeline(self) -> list[tuple[str, str, str, str]]:
        """The case's timeline as shown: (what kind, who, event, details) per row, oldest first."""
        self.unfold()
        rows = self.driver.find_elements(By.CSS_SELECTOR, ".field-timeline table.case-timeline tbody tr")
        shown = []
        for row in rows:
            cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            if len(cells) == 5:
                shown.append((cells[1], cells[2], cells[3], cells[4]))
        return shown

    def changelist_rows(self) -> list[str]:
        """Each row of a changelist's results, as its text."""
        return [row.text for row in self.driver.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")]

    def stylesheet_rules(self, path_ending: str) -> int:
        """How many CSS rules the page got from the stylesheet whose address ends so (0: not served)."""
        return self.driver.execute_script(
            "const sheet = [...document.styleSheets].find(s => s.href && s.href.endsWith(arguments[0]));"
            "return sheet ? sheet.cssRules.length : 0;",
            path_ending,
        )

    # Screenshots.

    def screenshot(self) -> bytes:
        """The whole page, not only the window (long change forms keep their timeline at the bottom)."""
        try:
            size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
            clip = {
                "x": 0,
                "y": 0,
                "width": size["width"],
                "height": min(size["height"], MAX_SHOT_HEIGHT),
                "scale": 1,
            }
            shot = self.driver.execute_cdp_cmd(
                "Page.captureScreenshot",
                {"format": "png", "captureBeyondViewport": True, "optimizeForSpeed": True, "clip": clip},
            )
            return base64.b64decode(shot["data"])
        except (WebDriverException, KeyError):
            return self.driver.get_screenshot_as_png()

    def save_pages(self, folder: Path) -> list[Path]:
        """Write every page this browser saw, and the one it is on now, as NN-<page>.png."""
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        shots = list(self.shots)
        try:
            shots.append(PageShot(f"now {self.driver.title}", self.screenshot()))
            (folder / "now.html").write_text(self.driver.page_source, encoding="utf-8")
        except WebDriverException:  # the browser itself is gone: the pages seen before are still kept
            pass
        written = []
        for number, shot in enumerate(shots, start=1):
            name = slugify(shot.title.split(" | ")[0])[:70] or "page"
            path = folder / f"{number:02d}-{name}.png"
            path.write_bytes(shot.png)
            written.append(path)
        return written

    # Inside.

    def _load(self, action: Callable[[], object]) -> None:
        """Run ``action``, wait until it replaced the page and the new one is complete, photograph it."""
        old_page = self.driver.find_element(By.TAG_NAME, "html")
        action()
        wait = WebDriverWait(self.driver, WAIT_SECONDS)
        wait.until(
            expected_conditions.staleness_of(old_page),
            f"No new page after {WAIT_SECONDS} s on {self.path}"
            " (a required field left empty, which the browser will not send?)",
        )
        wait.until(lambda driver: driver.execute_script("return document.readyState") == "complete")
        self.shots.append(PageShot(self.driver.title or self.path, self.screenshot()))
        self.assert_no_policy_violations()

    def policy_violations(self) -> list[str]:
        """What the browser refused under the site's Content-Security-Policy (its console,
        read since the last look)."""
        return [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if "Content Security Policy" in entry["message"] or "Content-Security-Policy" in entry["message"]
        ]

    def assert_no_policy_violations(self) -> None:
        """Every page works under the site's Content-Security-Policy: no script, style or
        other resource of ours was refused."""
        refused = self.policy_violations()
        assert not refused, f"{self.path}: the browser refused under the CSP: {refused}"

    def _one(self, xpaths: list[str], within: str, what: str) -> WebElement:
        """The first shown element inside ``within`` that one of ``xpaths`` (relative) finds."""
        scope = self.driver.find_element(By.CSS_SELECTOR, within)
        found = [
            element for element in scope.find_elements(By.XPATH, " | ".join(xpaths)) if element.is_displayed()
        ]
        if not found:
            raise NoSuchElementException(f"No {what} on {self.path}; the page offers {self.buttons()}")
        return found[0]
