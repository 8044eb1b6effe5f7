"""Other people at work: while the sandbox runs, generated users act on the generated services.

At seeded random moments one of them triggers, acknowledges, escalates, snoozes, reassigns,
annotates or resolves an incident, so account-wide reads change during a run as they do live.
The activity only touches what the generator made (its users, its services and their incidents,
old or new), never anything a client created.
"""

from __future__ import annotations

import logging
import random
import threading
from datetime import timedelta

from harness.sandbox import lifecycle, transitions
from harness.sandbox.busy import EVENTS_KEYED, Cast
from harness.sandbox.journal import log_on, store
from harness.sandbox.records import Actor, Assignment, Incident
from harness.sandbox.render import stamp
from harness.sandbox.state import Account

# Mean seconds between two actions: a few per recording, a busy but believable account.
INTERVAL = 0.5
# What people do to an open incident, and how often, relative to triggering a new one.
DOINGS = ("trigger", "acknowledge", "escalate", "snooze", "reassign", "annotate", "resolve")
WEIGHTS = (3, 3, 1, 1, 1, 2, 3)

log = logging.getLogger(__name__)


class Workday:
    """The actions themselves, on the generated part of the account; callers hold the lock."""

    def __init__(self, account: Account, cast: Cast, rng: random.Random) -> None:
        self.account, self.cast, self.rng = account, cast, rng

    def act(self) -> str:
        """Do one seeded thing to the account and return its name (a trigger if nothing is open)."""
        doing = self.rng.choices(DOINGS, WEIGHTS)[0]
        open_ = [
            i
            for i in self.account.incidents.values()
            if i.status != "resolved" and i.service_id in self.cast.service_ids
        ]
        if doing == "trigger" or not open_:
            self.trigger()
            return "trigger"
        incident = self.rng.choice(open_)
        getattr(self, doing)(incident, self.rng.choice(self.cast.user_ids))
        return doing

    def trigger(self) -> None:
        """Open an incident on a generated service through one of its Events API integrations."""
        account, chatter = self.account, self.cast.chatter
        service = account.services[self.rng.choice(sorted(self.cast.service_ids))]
        integration = next(
            account.integrations[i]
            for i in service.integration_ids
            if account.integrations[i].type in EVENTS_KEYED
        )
        title = chatter.title(service.name)
        details = chatter.details(service.name)
        payload = {
            "summary": title,
            "severity": self.rng.choice(("critical", "error", "warning")),
            "source": str(details["host"]),
            "custom_details": details,
        }
        lifecycle.open_incident(
            account,
            integration=integration,
            alert_key=chatter.hexid(32),
            payload=payload,
            channel_details={"description": title, "details": details},
        )

    def acknowledge(self, incident: Incident, user_id: str) -> None:
        transitions.acknowledge(self.account, incident, actor=Actor("user", user_id))

    def escalate(self, incident: Incident, user_id: str) -> None:
        """Escalate to the next level of the incident's (generated) policy."""
        account = self.account
        policy = account.escalation_policies[incident.escalation_policy_id or ""]
        current = {a.user_id for a in incident.assignments}
        level = next(
            (r.user_ids for r in policy.rules if r.user_ids and not current & set(r.user_ids)),
            policy.rules[0].user_ids,
        )
        at = account.now()
        incident = store(
            account,
            incident,
            assignments=tuple(Assignment(u, at) for u in level),
            assigned_via="escalation_policy",
            updated_at=at,
        )
        log_on(
            account,
            incident,
            type_="escalate_log_entry",
            summary=f"Escalated to {', '.join(account.names[u] for u in level)}",
            agent=Actor("service", incident.service_id),
            channel={"type": "timeout"},
            assignee_ids=level,
            at=at,
        )
        for assignee in level:
            lifecycle.notify(account, incident, account.users[assignee])

    def snooze(self, incident: Incident, user_id: str) -> None:
        """Snooze for an hour: acknowledged until then, logged with the action it moved."""
        account = self.account
        if incident.status != "acknowledged":
            incident = transitions.acknowledge(account, incident, actor=Actor("user", user_id))
        at = account.now()
        incident = store(account, incident, updated_at=at)
        log_on(
            account,
            incident,
            type_="snooze_log_entry",
            summary=f"Snoozed for 1 hour by {account.names[user_id]}",
            agent=Actor("user", user_id),
            channel={"type": "website"},
            at=at,
            extra={"changed_actions": [{"type": "unacknowledge", "at": stamp(at + timedelta(hours=1))}]},
        )

    def reassign(self, incident: Incident, user_id: str) -> None:
        """Hand the incident to someone else, as the acting user."""
        target = self.rng.choice([u for u in self.cast.user_ids if u != user_id])
        transitions.reassign(self.account, incident, (target,), by=self.account.users[user_id])

    def annotate(self, incident: Incident, user_id: str) -> None:
        transitions.add_note(
            self.account, incident, user=self.account.users[user_id], content=self.cast.chatter.note()
        )

    def resolve(self, incident: Incident, user_id: str) -> None:
        resolution = self.cast.chatter.resolution() if self.rng.random() < 0.5 else None
        transitions.resolve(self.account, incident, actor=Actor("user", user_id), resolution=resolution)


class Activity:
    """A thread that has the workday act at seeded moments until the sandbox stops."""

    def __init__(
        self, *, account: Account, cast: Cast, seed: int, interval: float, stopping: threading.Event
    ) -> None:
        self._account = account
        self._rng = random.Random(f"{seed}:activity")
        self._workday = Workday(account, cast, self._rng)
        self._interval = interval
        self._stopping = stopping
        self._thread = threading.Thread(target=self._run, name="sandbox-activity", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Wait for the thread to notice the sandbox stopping (it never starts a new action then)."""
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(self._rng.expovariate(1 / self._interval)):
            with self._account.lock:
                try:
                    self._workday.act()
                except Exception:  # one odd action must not end the account's day
                    log.exception("The sandbox's background activity failed")
