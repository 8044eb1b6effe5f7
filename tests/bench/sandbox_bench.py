"""Simple GETs per second the sandbox answers on loopback, from keep-alive `requests` sessions.

In-process clients share the interpreter lock with the sandbox's threads, as the recorder and
the tests do; clients in their own processes show what the sandbox itself can serve.  One
client waits for each answer before it sends the next request, so its rate is bounded by its
own CPU per request plus the sandbox's: the CPU split says which side sets the pace.
"""

from __future__ import annotations

import multiprocessing
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.pool import Pool

import requests
from figures import BenchResult, Figure, Target

from harness.client import ACCEPT
from harness.sandbox import Sandbox

NAME = "sandbox"
MIN_RATE = 1000.0
# Every recording test starts a sandbox, so making its busy account must stay well under this.
MAX_GENERATION_SECONDS = 0.5
SEEDS = 5
THREADS = 4
PROCESSES = 2
WARM_UP = 50
# The rate limit would answer 429 after 960 requests a minute; the benchmark measures GETs.
UNLIMITED = 10**9


@dataclass(frozen=True)
class _Clients:
    """Where the sandbox listens, how many GETs a run sends, and how many runs make a figure."""

    url: str
    token: str
    count: int
    repetitions: int

    @property
    def inputs(self) -> str:
        return f"GET /users/{{id}}, {self.count:,} requests, median of {self.repetitions}"

    def rate(self, run: Callable[[], float]) -> float:
        """Requests per second of the median run; `run` returns its wall seconds."""
        return self.count / statistics.median(run() for _ in range(self.repetitions))


def run(*, quick: bool) -> BenchResult:
    """Rates for one client and a thread pool in this process, and for clients in their own."""
    generation = _generation()
    # The empty account: the rates measure serving, not the busy account's background activity.
    with Sandbox(rate_limit=UNLIMITED, account="empty") as sandbox:
        clients = _Clients(
            f"{sandbox.api_url}/users/{sandbox.account.owner_id}",
            sandbox.token,
            count=300 if quick else 1000,
            repetitions=1 if quick else 3,
        )
        _get_many(clients.url, clients.token, WARM_UP)
        process_cpu = time.process_time()
        _seconds, client_cpu = _get_many(clients.url, clients.token, clients.count)
        sandbox_cpu = time.process_time() - process_cpu - client_cpu
        rates = {
            "1 keep-alive client, same process": clients.rate(
                lambda: _get_many(clients.url, clients.token, clients.count)[0]
            ),
            f"{THREADS} client threads, same process": clients.rate(lambda: _thread_pool(clients)),
            **_other_processes(clients),
        }
        figures = tuple(
            Figure(NAME, name, clients.inputs, rate, "req/s", Target(MIN_RATE, at_most=False))
            for name, rate in rates.items()
        )
        figures += (generation,)
        split = (
            f"CPU per GET with one in-process client: client thread "
            f"{client_cpu / clients.count * 1000:.2f} ms (requests, urllib3), sandbox threads "
            f"{sandbox_cpu / clients.count * 1000:.2f} ms"
        )
        notes = ("every answer is checked to be 200; the rate limit is lifted", split)
        if not any(figure.verdict == "MISS" for figure in figures):
            return BenchResult(figures, notes)
        return BenchResult(figures, notes, _diagnosis(clients, client_cpu, sandbox_cpu, rates))


def _generation() -> Figure:
    """Median seconds to make a busy account (people, services, a few hundred incidents)."""
    Sandbox(seed=0, activity_interval=None)  # imports and Faker's first use are not the generator
    seconds = []
    for seed in range(SEEDS):
        started = time.perf_counter()
        Sandbox(seed=seed, activity_interval=None)
        seconds.append(time.perf_counter() - started)
    return Figure(
        NAME,
        "busy account generation",
        f"Sandbox(seed=0..{SEEDS - 1}), median of {SEEDS}",
        statistics.median(seconds),
        "s",
        Target(MAX_GENERATION_SECONDS),
    )


def _other_processes(clients: _Clients) -> dict[str, float]:
    """Rates of one client in its own process, then of several at once."""
    # spawn, not fork: the sandbox's threads must not be copied into the children.
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        pool.starmap(_get_many, [(clients.url, clients.token, WARM_UP)] * PROCESSES)
        return {
            "1 keep-alive client, own process": clients.rate(
                lambda: float(pool.apply(_get_many, (clients.url, clients.token, clients.count))[0])
            ),
            f"{PROCESSES} client processes": clients.rate(lambda: _together(pool, clients)),
        }


def _together(pool: Pool, clients: _Clients) -> float:
    share = clients.count // PROCESSES
    started = time.perf_counter()
    pool.starmap(_get_many, [(clients.url, clients.token, share)] * PROCESSES)
    return time.perf_counter() - started


def _diagnosis(
    clients: _Clients, client_cpu: float, sandbox_cpu: float, rates: dict[str, float]
) -> tuple[str, ...]:
    """Which side sets one client's pace, and what requests spends on proxy settings."""
    count = clients.count
    bare_seconds, bare_cpu = _get_many(clients.url, clients.token, count, trust_env=False)
    larger = "client's" if client_cpu > sandbox_cpu else "sandbox's"
    busiest = max(rates, key=lambda name: rates[name])
    return (
        f"one client waits for each answer: at most 1 / (client + sandbox CPU per GET) = "
        f"{count / (client_cpu + sandbox_cpu):,.0f} req/s, before loopback and thread switches",
        f"the {larger} part is the larger: requests {client_cpu / count * 1000:.2f} ms a GET, "
        f"the sandbox {sandbox_cpu / count * 1000:.2f} ms",
        f"{(client_cpu - bare_cpu) / count * 1000:.2f} ms of the client's is requests reading proxy "
        "settings from the environment on every call (Session.trust_env); with trust_env=False "
        f"one in-process client gets {count / bare_seconds:,.0f} req/s",
        f"most the sandbox served here: {rates[busiest]:,.0f} req/s ({busiest})",
    )


def _get_many(url: str, token: str, count: int, *, trust_env: bool = True) -> tuple[float, float]:
    """Wall seconds and this thread's CPU seconds for `count` GETs on one keep-alive session."""
    with requests.Session() as session:
        session.trust_env = trust_env
        session.headers.update({"Authorization": f"Token token={token}", "Accept": ACCEPT})
        started, cpu = time.perf_counter(), time.thread_time()
        for _ in range(count):
            response = session.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} answered {response.status_code}: {response.text[:200]}")
        return time.perf_counter() - started, time.thread_time() - cpu


def _thread_pool(clients: _Clients) -> float:
    share = clients.count // THREADS
    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(lambda _: _get_many(clients.url, clients.token, share), range(THREADS)))
    return time.perf_counter() - started
