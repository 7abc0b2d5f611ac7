"""Document bytes in S3-compatible object storage (MinIO in deployment, moto's S3 server in tests).

Objects are named by their SHA-256 (`sha256/<hex>`): identical bytes are one object, and an object's bytes cannot
change without its name ceasing to be their hash (which reading checks). Storing bytes that are there already
writes the same bytes again: cheaper than asking first, since nearly every document is new. The `minio` client
blocks, so every call runs on a worker thread.
"""

from __future__ import annotations

import asyncio
import io
import logging

import urllib3
from minio import Minio
from minio.error import S3Error

from documents.domain.documents import object_key
from documents.settings import DocumentsSettings

logger = logging.getLogger(__name__)

_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchObject", "ResourceNotFound"})


class ObjectMissing(LookupError):
    pass


class ObjectStore:
    def __init__(self, client: Minio, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    @classmethod
    def from_settings(cls, settings: DocumentsSettings) -> ObjectStore:
        # minio's default pool keeps 10 connections; as many as the threads that may call at once
        http = urllib3.PoolManager(
            maxsize=settings.s3_connections, timeout=urllib3.Timeout(connect=5, read=60),
            retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
        )
        client = Minio(
            settings.s3_host, access_key=settings.s3_access_key.get_secret_value(),
            secret_key=settings.s3_secret_key.get_secret_value(), secure=settings.s3_tls,
            region=settings.s3_region, http_client=http,
        )
        return cls(client, settings.s3_bucket)

    async def ensure_bucket(self) -> None:
        def ensure() -> None:
            if not self._client.bucket_exists(self.bucket):
                try:
                    self._client.make_bucket(self.bucket)
                except S3Error as exc:
                    # another replica made it a moment ago
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
                logger.info("created bucket %s", self.bucket)

        await asyncio.to_thread(ensure)

    async def put(self, sha256: str, content: bytes, content_type: str) -> None:
        """Store bytes under their hash."""
        await asyncio.to_thread(
            self._client.put_object, self.bucket, object_key(sha256), io.BytesIO(content), len(content),
            content_type=content_type, metadata={"sha256": sha256},
        )

    async def get(self, sha256: str) -> bytes:
        """The bytes stored under a hash, as they are (the caller checks them); ObjectMissing when there are none."""
        key = object_key(sha256)

        def get() -> bytes:
            try:
                response = self._client.get_object(self.bucket, key)
            except S3Error as exc:
                if exc.code in _MISSING_CODES:
                    raise ObjectMissing(key) from exc
                raise
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        return await asyncio.to_thread(get)
