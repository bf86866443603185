"""The HTTP side of a Monday morning (bench/monday/run.py writes the plan and starts this).

Two kinds of users, all in one Locust process (gevent), with exact counts (fixed_count):

- ArrivalUser: the people arriving. They share one schedule (the plan's "arrivals": when,
  which service, by which channel) and each takes the next arrival, sleeps until its time
  and plays it out:
    kiosk   start page, service page, contact page, "take a ticket" (skip the contact),
            then the printed ticket (the kiosk's own routes, with a kiosk link's token);
    phone   a signed-in, verified customer: the branch page, "take a ticket" (a plain
            form post, answered 303), then the live ticket page /t/<token>;
    sms     "SMS-like API": there is no public API yet, so a gateway posts the kiosk's
            "take a ticket" form with a contact to notify (one request per ticket, on a
            kiosk link of its own; the ticket's channel is recorded as "kiosk").
- AgentUser: one signed-in agent per counter, at their counter screen's routes as htmx
  sends them: call next; walk-up time; sometimes recall (and sometimes no-show after
  recalling); start; a lognormal service time around the service's estimated_minutes;
  finish. Every waiting time is divided by the plan's speed-up factor.

Every action is appended to the plan's events file (JSON lines, CLOCK_MONOTONIC times of
the request's send and answer), which run.py follows to open and close ticket pages and to
measure the screens' lag. Any status outside 2xx/3xx, or an unexpected answer, is a failure
in Locust's statistics.
"""

import itertools
import json
import math
import os
import random
import re
import time

import gevent
from locust import HttpUser, constant, events, task
from locust.clients import HttpSession

PLAN = json.loads(open(os.environ["MONDAY_PLAN"]).read())
SPEED = PLAN["speed"]
START_AT = PLAN["start_at"]  # monotonic time of 08:00
STOP_AT = PLAN["stop_at"]  # monotonic time after which everyone stops
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')
TICKET_ID = re.compile(r'name="ticket" value="(\d+)"')
SKIP = "Passer, sans être prévenu"  # the kiosk's "skip" button (TicketForm.skip)
SUBMIT = "Valider"

_events = open(PLAN["events_path"], "a", buffering=1)
_arrivals = iter(enumerate(PLAN["arrivals"]))
_agent_numbers = itertools.count()
_state = {"arrivals_in_flight": 0, "arrivals_left": len(PLAN["arrivals"])}
_agents_done: set[int] = set()
_random = random.Random(PLAN["seed"])


def log(kind: str, **fields) -> None:
    _events.write(json.dumps({"kind": kind, **fields}) + "\n")


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    if match is None:
        raise ValueError("no CSRF token in the page")
    return match.group(1) or match.group(2)


def sleep_simulated(seconds: float) -> None:
    gevent.sleep(seconds / SPEED)


def expect(response, ok: bool, what: str) -> bool:
    """Mark a response failed unless it is 2xx/3xx and `ok` (Locust counts it)."""
    if not 200 <= response.status_code < 400:
        response.failure(f"{what}: HTTP {response.status_code}")
        return False
    if not ok:
        response.failure(f"{what}: unexpected answer ({response.status_code})")
        return False
    response.success()
    return True


class ArrivalUser(HttpUser):
    fixed_count = PLAN["arrival_users"]
    wait_time = constant(0)

    def on_start(self) -> None:
        self.kiosk_session = self.client  # this user's kiosk session (its CSRF cookie)
        self.gateway = self._session()
        self.gateway_csrf = None

    def _session(self) -> HttpSession:
        return HttpSession(
            base_url=self.host, request_event=self.environment.events.request, user=self
        )

    @task
    def arrive(self) -> None:
        try:
            number, arrival = next(_arrivals)
        except StopIteration:
            gevent.sleep(1.0)  # the morning's arrivals are all out
            return
        gevent.sleep(max(0.0, START_AT + arrival["at"] / SPEED - time.monotonic()))
        _state["arrivals_in_flight"] += 1
        try:
            getattr(self, arrival["channel"])(number, arrival)
        finally:
            _state["arrivals_in_flight"] -= 1
            _state["arrivals_left"] -= 1

    def _issued(self, channel, arrival, token, sent, answered) -> None:
        log(
            "issue",
            channel=channel,
            token=token,
            service=arrival["service"],
            sent=sent,
            answered=answered,
        )

    def kiosk(self, number: int, arrival: dict) -> None:
        base = f"/kiosk/{arrival['kiosk']}"
        service = f"{base}/services/{arrival['service']}"
        priority = "high" if arrival.get("high") else "normal"
        with self.kiosk_session.get(
            base, name="kiosk: start page", catch_response=True
        ) as r:
            if not expect(r, True, "start page"):
                return
        with self.kiosk_session.get(
            service, name="kiosk: service page", catch_response=True
        ) as r:
            if not expect(r, True, "service page"):
                return
        with self.kiosk_session.get(
            f"{service}/contact?priority={priority}",
            name="kiosk: contact page",
            catch_response=True,
        ) as r:
            if not expect(r, "csrf_token" in r.text, "contact page"):
                return
            csrf = csrf_of(r.text)
        form = {"csrf_token": csrf, "priority": priority, "contact": "", "skip": SKIP}
        sent = time.monotonic()
        with self.kiosk_session.post(
            f"{service}/tickets",
            data=form,
            allow_redirects=False,
            name="kiosk: take ticket",
            catch_response=True,
        ) as r:
            answered = time.monotonic()
            location = r.headers.get("Location") or ""
            if not expect(r, r.status_code == 303 and "/tickets/" in location, "take"):
                return
        token = location.split("/tickets/", 1)[1].split("?", 1)[0]
        self._issued("kiosk", arrival, token, sent, answered)
        with self.kiosk_session.get(
            location, name="kiosk: printed ticket", catch_response=True
        ) as r:
            expect(r, True, "printed ticket")

    def phone(self, number: int, arrival: dict) -> None:
        phone = self._session()
        phone.headers["User-Agent"] = PHONE_UA
        phone.cookies.update(PLAN["customers"][arrival["customer"]])
        branch = f"/branches/{PLAN['branch_id']}"
        with phone.get(branch, name="phone: branch page", catch_response=True) as r:
            if not expect(r, "csrf_token" in r.text or "X-CSRFToken" in r.text, "page"):
                return
            csrf = csrf_of(r.text)
        sent = time.monotonic()
        with phone.post(
            f"{branch}/services/{arrival['service']}/ticket",
            data={"csrf_token": csrf},
            allow_redirects=False,
            name="phone: take ticket",
            catch_response=True,
        ) as r:
            answered = time.monotonic()
            location = r.headers.get("Location") or ""
            if not expect(r, r.status_code == 303 and "/t/" in location, "take"):
                return
        token = location.rsplit("/t/", 1)[1]
        self._issued("phone", arrival, token, sent, answered)
        with phone.get(
            f"/t/{token}", name="phone: ticket page", catch_response=True
        ) as r:
            expect(r, True, "ticket page")
        phone.close()

    def sms(self, number: int, arrival: dict) -> None:
        service = f"/kiosk/{PLAN['gateway']}/services/{arrival['service']}"
        if self.gateway_csrf is None:  # the gateway's session, once
            with self.gateway.get(
                f"{service}/contact",
                name="sms-like: session (once)",
                catch_response=True,
            ) as r:
                if not expect(r, "csrf_token" in r.text, "gateway session"):
                    return
                self.gateway_csrf = csrf_of(r.text)
        form = {
            "csrf_token": self.gateway_csrf,
            "priority": "normal",
            "contact": f"sms-{number}@banc.sn",
            "submit": SUBMIT,
        }
        sent = time.monotonic()
        with self.gateway.post(
            f"{service}/tickets",
            data=form,
            allow_redirects=False,
            name="sms-like: take ticket",
            catch_response=True,
        ) as r:
            answered = time.monotonic()
            location = r.headers.get("Location") or ""
            if not expect(r, r.status_code == 303 and "/tickets/" in location, "take"):
                return
        token = location.split("/tickets/", 1)[1].split("?", 1)[0]
        self._issued("sms", arrival, token, sent, answered)


class AgentUser(HttpUser):
    fixed_count = len(PLAN["agents"])
    wait_time = constant(0)

    def on_start(self) -> None:
        self.number = next(_agent_numbers)
        agent = PLAN["agents"][self.number]
        self.counter = agent["counter"]
        # A counter of two services: around the mean of both (the answer's markup is
        # not parsed for the ticket's service: other people are changing it).
        self.minutes = sum(agent["minutes"]) / len(agent["minutes"])
        self.base = f"/agent/counters/{self.counter}"
        self.client.cookies.update(agent["cookies"])
        with self.client.get(
            self.base, name="agent: counter screen", catch_response=True
        ) as r:
            expect(r, "csrf_token" in r.text or "X-CSRFToken" in r.text, "screen")
            self.csrf = csrf_of(r.text)
        self.htmx = {"HX-Request": "true", "X-CSRFToken": self.csrf}

    def post(self, action: str, name: str, ticket: str | None = None):
        """(response text or None, sent, answered)."""
        form = {"csrf_token": self.csrf}
        if ticket:
            form["ticket"] = ticket
        sent = time.monotonic()
        with self.client.post(
            f"{self.base}/{action}",
            data=form,
            headers=self.htmx,
            name=name,
            catch_response=True,
        ) as r:
            answered = time.monotonic()
            return (r.text if expect(r, True, name) else None), sent, answered

    @task
    def serve(self) -> None:
        if time.monotonic() > STOP_AT:
            self._done()
            return
        if time.monotonic() < START_AT:
            gevent.sleep(START_AT - time.monotonic())
        body, sent, answered = self.post("call", "agent: call next")
        if body is None:
            self.idle()
            return
        found = TICKET_ID.search(body)
        if found is None:  # nobody waiting at this counter's services
            if _state["arrivals_left"] == 0 and _state["arrivals_in_flight"] == 0:
                self._done()
                return
            self.idle()
            return
        ticket = found.group(1)
        log(
            "call",
            counter=self.counter,
            ticket=int(ticket),
            sent=sent,
            answered=answered,
        )
        sleep_simulated(_random.uniform(10, 40))  # the customer walks up
        if _random.random() < PLAN["recall_rate"]:
            # Not there: recalled once, or, when they never come, as many times as the
            # engine asks before a no-show.
            gone = _random.random() < PLAN["no_show_share_of_recalls"]
            for _ in range(PLAN["max_recalls"] if gone else 1):
                sleep_simulated(60)
                body, sent, answered = self.post("recall", "agent: recall", ticket)
                self.log("recall", ticket, sent, answered)
            if gone:
                sleep_simulated(60)
                body, sent, answered = self.post("no-show", "agent: no-show", ticket)
                self.log("no_show", ticket, sent, answered)
                return
            sleep_simulated(20)
        body, sent, answered = self.post("start", "agent: start", ticket)
        log(
            "start",
            counter=self.counter,
            ticket=int(ticket),
            sent=sent,
            answered=answered,
        )
        sigma = 0.5  # lognormal: most near the estimate, a long tail of hard cases
        mu = math.log(self.minutes * 60) - sigma * sigma / 2  # its mean: the estimate
        sleep_simulated(_random.lognormvariate(mu, sigma))
        body, sent, answered = self.post("finish", "agent: finish", ticket)
        log(
            "finish",
            counter=self.counter,
            ticket=int(ticket),
            sent=sent,
            answered=answered,
        )

    def log(self, kind: str, ticket: str, sent: float, answered: float) -> None:
        log(
            kind, counter=self.counter, ticket=int(ticket), sent=sent, answered=answered
        )

    def idle(self) -> None:
        """Nobody waiting: look at the screen again in a minute or two (at least 1 s)."""
        gevent.sleep(max(1.0, _random.uniform(60, 120) / SPEED))

    def _done(self) -> None:
        _agents_done.add(self.number)
        if len(_agents_done) == len(PLAN["agents"]):
            log("end", at=time.monotonic())
            self.environment.runner.quit()
        gevent.sleep(1.0)


@events.quitting.add_listener
def _close_events(environment, **kwargs) -> None:
    _events.flush()
