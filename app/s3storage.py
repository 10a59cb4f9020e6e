"""Files in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2) through boto3.

Everything streams: uploads go through `upload_fileobj` (multipart above a threshold, a bounded
number of parts in memory), reads come back as a stream, and browsers download straight from the
bucket through short-lived presigned URLs. boto's errors become `StorageError` / `ObjectNotFound`,
so callers never see boto types. Credentials come from boto3's usual chain (environment, shared
files, instance or container roles); Docket has no settings of its own for them.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from app.disposition import attachment
from app.storage import ObjectNotFound, StorageError, StoredObject

MB = 1024 * 1024
# Parts must be at least 5 MB; 8 MB parts allow objects up to 80 GB (S3 takes 10,000 parts).
PART_BYTES = 8 * MB
NOT_FOUND_CODES = {"404", "NoSuchKey", "NotFound"}
CHECK_PREFIX = ".docket-check/"
# Whatever a browser fetches from the bucket is a download, never a page to render.
OCTET_STREAM = "application/octet-stream"


def transfer_config() -> TransferConfig:
    """Multipart above one part's size, 4 parts uploading at once. An upload holds at most 4 parts in
    memory plus the one being read (about 40 MB), whatever the file's size."""
    config = TransferConfig(
        multipart_threshold=PART_BYTES,
        multipart_chunksize=PART_BYTES,
        max_concurrency=4,
        # The pure-Python transfer manager: the CRT one (when awscrt is installed) sizes its own buffers.
        preferred_transfer_client="classic",
    )
    # s3transfer reads ahead up to 10 parts by default; boto3's constructor does not expose the knob.
    config.max_in_memory_upload_chunks = 4
    return config


def client_config(*, custom_endpoint: bool) -> Config:
    return Config(
        # Presigned URLs for custom endpoints come out as SigV2 without this.
        signature_version="s3v4",
        # botocore ≥ 1.36 adds CRC32 checksum headers that some S3-compatible servers reject.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        # A worker's time limit cannot interrupt a blocked socket read: every call needs its own limit.
        connect_timeout=5,
        read_timeout=60,
        retries={"max_attempts": 4, "mode": "standard"},
        # MinIO and most self-hosted servers have no wildcard DNS for bucket subdomains.
        s3={"addressing_style": "path" if custom_endpoint else "auto"},
    )


class S3Storage:
    def __init__(self, *, bucket: str, client: Any, signer: Any, url_seconds: int) -> None:
        self.bucket = bucket
        self._client = client
        # SigV4 signs the host, so download links are signed by a client that uses the endpoint
        # browsers reach; rewriting a signed URL's host afterwards would break its signature.
        self._signer = signer
        self._url_seconds = url_seconds
        self._transfer = transfer_config()

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> S3Storage:
        bucket = config["S3_BUCKET"]
        if not bucket:
            raise ValueError("STORAGE_BACKEND=s3 needs S3_BUCKET")
        session = boto3.session.Session()

        def client(endpoint: str | None) -> Any:
            return session.client(
                "s3",
                endpoint_url=endpoint,
                region_name=config["S3_REGION"],
                config=client_config(custom_endpoint=endpoint is not None),
            )

        endpoint = config["S3_ENDPOINT_URL"]
        public = config["S3_PUBLIC_ENDPOINT_URL"] or endpoint
        direct = client(endpoint)
        return cls(
            bucket=bucket,
            client=direct,
            signer=direct if public == endpoint else client(public),
            url_seconds=config["DOWNLOAD_URL_SECONDS"],
        )

    def save(self, key: str, stream: IO[bytes]) -> None:
        with _translated(key):
            self._client.upload_fileobj(
                stream, self.bucket, key, ExtraArgs={"ContentType": OCTET_STREAM}, Config=self._transfer
            )

    def open(self, key: str) -> IO[bytes]:
        with _translated(key):
            response = self._client.get_object(Bucket=self.bucket, Key=key)
        return ObjectStream(response["Body"], key)

    def delete(self, key: str) -> None:
        with _translated(key):
            self._client.delete_object(Bucket=self.bucket, Key=key)

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except ObjectNotFound:
            return False
        return True

    def download_url(self, key: str, filename: str, content_type: str | None) -> str:
        # Asked first so a missing object is our not-found page, not the bucket's XML error.
        self._head(key)
        params = {
            "Bucket": self.bucket,
            "Key": key,
            "ResponseContentDisposition": attachment(filename),
            # Whatever the content, the browser saves it; nothing is rendered (the sniffed type is not used).
            "ResponseContentType": OCTET_STREAM,
        }
        with _translated(key):  # signing needs credentials, which may be missing
            return self._signer.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=self._url_seconds
            )

    def list_objects(self, prefix: str) -> Iterator[StoredObject]:
        pages = self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        with _translated(prefix):
            for page in pages:
                for item in page.get("Contents", []):
                    yield StoredObject(item["Key"], item["Size"], item["LastModified"])

    def check(self) -> None:
        """Write, read back and delete a small probe object."""
        key = f"{CHECK_PREFIX}{uuid.uuid4()}"
        probe = b"Docket storage check"
        self.save(key, io.BytesIO(probe))
        try:
            with self.open(key) as stream:
                if stream.read() != probe:
                    raise StorageError(f"bucket {self.bucket!r} returned other bytes than were written")
        finally:
            self.delete(key)

    def _head(self, key: str) -> None:
        with _translated(key):
            self._client.head_object(Bucket=self.bucket, Key=key)


class ObjectStream(io.RawIOBase):
    """An object being read from the bucket: a plain binary stream whose errors are StorageErrors."""

    def __init__(self, body: Any, key: str) -> None:
        self._body = body
        self._key = key

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with _translated(self._key):
            data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            # Closing early drops the connection instead of reading the rest of a large object.
            self._body.close()
        super().close()


@contextmanager
def _translated(key: str) -> Iterator[None]:
    """boto's errors as ours: a missing object is ObjectNotFound, anything else StorageError."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if code in NOT_FOUND_CODES:
            raise ObjectNotFound(key) from exc
        raise StorageError(f"S3 refused {key!r}: {code} {error.get('Message', '')}".rstrip()) from exc
    except (BotoCoreError, S3UploadFailedError) as exc:
        raise StorageError(f"S3 failed on {key!r}: {exc}") from exc
