"""Gunicorn settings for the servers the benchmarks start (``-c`` this file): each worker,
once it has loaded the application, appends its pid to the file ``BENCH_READY_FILE``
names, so a benchmark starts its clients when every worker can answer
(``servers.wait_until_serving``). Gunicorn's master listens before its workers have booted
Django: a port that accepts says nothing of them."""

import os


def post_worker_init(worker) -> None:
    ready_file = os.environ.get("BENCH_READY_FILE")
    if ready_file:
        with open(ready_file, "a") as ready:
            ready.write(f"{worker.pid}\n")
