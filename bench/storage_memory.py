"""Peak memory of the web process on a large upload and download, on `local` and on `s3` (moto).

    python -m bench.storage_memory [--size-mb 200] [--backend local|s3|both] [--sample PDF]

Starts the app under gunicorn (one sync worker) in a subprocess, on a fresh SQLite database and,
for s3, against moto's S3 server in another subprocess. Uploads one file of `--size-mb` through
`POST /api/cases` (with MAX_FILE_MB raised), downloads it again through the app's download link
(for s3: the redirect, then the presigned URL), checks the bytes, and prints the worker's peak RSS
(VmHWM in /proc) after start-up, after the upload and after the download.

Then it measures the worker side: a child process reads `--sample` back from storage as a worker
does (spooled to a temporary file when the stream cannot seek) and extracts its text; its peak RSS
is printed before and after. Figures are reported, not asserted (see bench/README.md).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MB = 1024 * 1024
CHUNK = MB
SAMPLE = ROOT.parent / "shared" / "samples" / "cuad_ceres_iger_collaboration_agreement_2012.pdf"
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench-secret",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--backend", choices=["local", "s3", "both"], default="both")
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    args = parser.parse_args()
    backends = ["local", "s3"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory(prefix="docket-bench-") as tmp:
        big = Path(tmp) / "big.bin"
        digest = write_file(big, args.size_mb)
        for backend in backends:
            with storage_env(backend, Path(tmp) / backend) as env:
                web_process(env, big, digest)
                if args.sample.exists():
                    worker_extraction(env, args.sample)
                else:
                    print(f"  worker extraction: skipped, {args.sample} not found")


def write_file(path: Path, size_mb: int) -> str:
    """A file of random bytes (incompressible, like scans), written in chunks; returns its sha256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(size_mb):
            chunk = os.urandom(CHUNK)
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


@contextmanager
def storage_env(backend: str, instance: Path) -> Iterator[dict[str, str]]:
    """The environment of the app's processes for one backend (starting moto for s3)."""
    instance.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "S3_", "STORAGE_"))}
    env |= FAKE_AWS | {
        "INSTANCE_DIR": str(instance),
        "SECRET_KEY": "bench",
        "REDIS_URL": "stub://",  # messages stay in the web process's memory: a few bytes per case
        "MAX_FILE_MB": "1000",
        "MAX_CASE_MB": "1000",
        "STORAGE_BACKEND": backend,
    }
    if backend == "local":
        yield env
        return
    port = free_port()
    moto = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        wait_for(f"{endpoint}/moto-api/data.json")
        create_bucket(endpoint, "docket-bench")
        yield env | {"S3_BUCKET": "docket-bench", "S3_ENDPOINT_URL": endpoint}
    finally:
        moto.terminate()
        moto.wait()


def web_process(env: dict[str, str], big: Path, digest: str) -> None:
    size = big.stat().st_size // MB
    print(f"\n== {env['STORAGE_BACKEND']}: web process (gunicorn, one sync worker), a {size} MB file")
    subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers",
            "1",
            "--timeout",
            "600",
            "--bind",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/readyz")
        worker = only_child(server.pid)
        # Warm up: one small case through every code path, so start-up imports are not counted.
        small = big.with_name("small.txt")
        small.write_bytes(b"warm-up text")
        download(base, upload(port, small))
        report("after start-up and a small case", worker)

        started = time.monotonic()
        case = upload(port, big)
        report(f"after the upload ({time.monotonic() - started:.1f} s)", worker)

        started = time.monotonic()
        assert download(base, case) == digest, "the downloaded bytes differ from the upload"
        report(f"after the download ({time.monotonic() - started:.1f} s, same sha256)", worker)
    finally:
        server.terminate()
        server.wait()


def upload(port: int, path: Path) -> dict[str, Any]:
    """POST /api/cases as multipart/form-data, the file part streamed from disk chunk by chunk."""
    boundary = uuid.uuid4().hex
    due = (date.today() + timedelta(days=30)).isoformat()
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"\r\n\r\n{value}\r\n'
        for field, value in (("details", "Memory benchmark."), ("due_date", due))
    )
    head += f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"\r\n'
    head += "Content-Type: application/octet-stream\r\n\r\n"
    tail = f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        connection.putrequest("POST", "/api/cases")
        connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        connection.putheader("Content-Length", str(len(head.encode()) + path.stat().st_size + len(tail)))
        connection.endheaders(head.encode())
        with path.open("rb") as source:
            while chunk := source.read(CHUNK):
                connection.send(chunk)
        connection.send(tail)
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 202, body
    return body


def download(base: str, case: dict[str, Any]) -> str:
    """Fetch the case's first file as a browser would (following a redirect to S3); its sha256."""
    digest = hashlib.sha256()
    with urllib.request.urlopen(f"{base}/api/cases/{case['id']}/files/{case['files'][0]['id']}") as response:
        while chunk := response.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def worker_extraction(env: dict[str, str], sample: Path) -> None:
    print(f"\n== {env['STORAGE_BACKEND']}: worker side, text extraction of {sample.name}")
    subprocess.run([sys.executable, "-m", "bench.storage_memory", "--extract-child", str(sample)], env=env,
                   cwd=ROOT, check=True)  # fmt: skip


def extract_child(sample: Path) -> None:
    """Runs in its own process: store the sample, then read it back and extract it as a worker does."""
    from app import create_app
    from app.extract import extract
    from app.processing import _seekable
    from app.sniff import sniff
    from app.storage import get_storage

    app = create_app()
    with app.app_context():
        storage = get_storage()
        key = f"cases/{uuid.uuid4()}/{uuid.uuid4()}"
        with sample.open("rb") as source:
            content_type = sniff(source, sample.name)
            storage.save(key, source)
        report("after start-up (app, pypdf, boto3 imported) and storing the sample", os.getpid())
        started = time.monotonic()
        with storage.open(key) as stored, _seekable(stored) as stream:
            extraction = extract(stream, content_type)
        chars = sum(len(page.text) for page in extraction.pages)
        report(
            f"after extracting {extraction.page_count} pages, {chars:,} characters "
            f"({extraction.method}, {time.monotonic() - started:.1f} s)",
            os.getpid(),
        )
        storage.delete(key)


def report(label: str, pid: int) -> None:
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    peak, now = (int(status[name].split()[0]) // 1024 for name in ("VmHWM", "VmRSS"))
    print(f"  peak RSS {peak:5d} MB   RSS now {now:5d} MB   {label}", flush=True)


def only_child(pid: int) -> int:
    """gunicorn's one worker: the master's child process."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for _ in range(100):
        found = children.read_text().split()
        if found:
            return int(found[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str) -> None:
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def create_bucket(endpoint: str, bucket: str) -> None:
    import boto3

    from app.s3storage import client_config

    session = boto3.session.Session(
        aws_access_key_id=FAKE_AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
    )
    client = session.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", config=client_config(custom_endpoint=True)
    )
    client.create_bucket(Bucket=bucket)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--extract-child"]:
        extract_child(Path(sys.argv[2]))
    else:
        main()
