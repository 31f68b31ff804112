"""Small helpers shared by the browser tests."""
from __future__ import annotations

import time

from agp_dash.web.ids import Shell


def element(dash_duo, target):
    return dash_duo.find_element(target) if isinstance(target, str) else target


def click(dash_duo, target):
    """Scroll the element to the middle of the window, then click it like a user would.

    (Selenium 4.2's own scrolling leaves elements below a long page's fold unclickable.)
    """
    elem = element(dash_duo, target)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", elem)
    time.sleep(0.3)
    elem.click()


def open_tab(dash_duo, label: str) -> None:
    for link in dash_duo.driver.find_elements("css selector", f"#{Shell.TABS} .nav-link"):
        if link.text == label:
            link.click()
            return
    raise AssertionError(f"no tab labelled {label!r}")


def choose_option(dash_duo, dropdown_id: str, label: str) -> None:
    """Open a dcc.Dropdown and pick the option showing ``label``."""
    click(dash_duo, f"#{dropdown_id}")
    options = dash_duo.driver.find_elements("css selector", "[role=option]")
    next(o for o in options if o.text == label).click()
