"""How many AI waits one worker process can hold at once.

Runs N cases at once, each on its own thread (as a Dramatiq worker thread would), each summarized
by its own `OpenAISummarizer` against a fake OpenAI server (in a separate process) that takes
`--delay` seconds per answer. Reports wall time against the ideal (one delay), peak threads and
the process's peak memory. Figures are reported in bench/README-ai.md, not asserted.

    .venv/bin/python -m bench.ai_concurrency --cases 200 --delay 2
    .venv/bin/python -m bench.ai_concurrency --cases 50 --parts 4 --delay 2
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import threading
import time
from datetime import date
from typing import Any

from app import config
from app.summarize import CaseText, Document, Page
from app.summarize.openai import OpenAISummarizer
from tests.openai_fake import FakeOpenAI, Reply, answer, summary_dict


def _serve(delay: float, ports: Any, stop: Any) -> None:
    def slow(body: dict[str, Any]) -> Reply:
        time.sleep(delay)
        return answer(summary_dict())

    fake = FakeOpenAI(slow).start()
    ports.put(fake.base_url)
    stop.wait()
    fake.stop()


def _case(parts: int) -> CaseText:
    # About 200 tokens a page: five pages fill one request at the small budget used with --parts.
    clause = "The supplier shall deliver the goods on time. " * 20
    pages = [Page(n, f"Page {n}. {clause}") for n in range(1, 5 * parts + 1)]
    return CaseText("Bench", "Summarize.", date(2030, 1, 1), [Document("bench.pdf", pages)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--delay", type=float, default=2.0, help="seconds the fake server takes per answer")
    parser.add_argument("--parts", type=int, default=1, help="requests per case before the merge")
    args = parser.parse_args()

    ports: Any = multiprocessing.Queue()
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=_serve, args=(args.delay, ports, stop), daemon=True)
    server.start()
    base_url = ports.get(timeout=30)

    budget = 2500 if args.parts > 1 else 100_000
    settings = config.load({})
    settings.update(
        AI_PROVIDER="openai",
        OPENAI_BASE_URL=base_url,
        OPENAI_API_KEY="bench",
        AI_INPUT_TOKEN_BUDGET=budget,
        AI_CONCURRENCY=args.parts,
    )
    case = _case(args.parts)
    failures: list[BaseException] = []
    calls: list[int] = []
    peak_threads = 0

    def one_case() -> None:
        try:
            result = OpenAISummarizer.from_config(settings).summarize(case, lambda step: None)
            # The fake server counts 100 prompt tokens per answer.
            calls.append(result.usage.prompt_tokens // 100 if result.usage else 0)
        except BaseException as exc:
            failures.append(exc)

    one_case()  # warm up as a running worker is: encoding loaded, TLS context built
    calls.clear()
    threads = [threading.Thread(target=one_case) for _ in range(args.cases)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        peak_threads = max(peak_threads, threading.active_count())
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    stop.set()
    server.join(timeout=10)

    rounds = 2 if args.parts > 1 else 1  # the parts run together, then the merge
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"cases: {args.cases}, AI calls: {sum(calls)}, server delay: {args.delay} s")
    print(f"failures: {len(failures)}")
    print(f"wall time: {elapsed:.2f} s (ideal {rounds * args.delay:.2f} s)")
    print(f"peak threads: {peak_threads}, peak RSS: {peak_mb:.0f} MB")
    for failure in failures[:3]:
        print(f"failure: {failure!r}")


if __name__ == "__main__":
    main()
