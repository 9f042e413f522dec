"""The streaming job as the processing tier uploads it: a reproducible package, the bootstrap script, and the
preflight checks that stop a real ``pulumi up`` before EMR would fail minutes later (artifacts not fetched,
in-transit certificates missing).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from infra.catalog.artifacts import Catalog, missing_or_modified
from infra.components.storage import Storage
from infra.config.schema import SparkConfig
from infra.planning import emr

JOB_PACKAGE = "streaming_job"
# spark-submit's primary file must be a .py; the package's __main__ imports it absolutely.
JOB_ENTRY_SOURCE = "__main__.py"
JOB_ENTRY_NAME = "streaming_job_main.py"
TLS_CERTIFICATES_KEY = "tls/emr-in-transit-certs.zip"


@dataclass(frozen=True)
class JobPackage:
    """The job's code as uploaded: a deterministic zip named by its content hash, and the entry file."""

    version: str
    zip_path: Path
    entry_path: Path

    @property
    def zip_key(self) -> str:
        return f"jobs/{JOB_PACKAGE}/{self.version}/{JOB_PACKAGE}.zip"

    @property
    def entry_key(self) -> str:
        return f"jobs/{JOB_PACKAGE}/{self.version}/{JOB_ENTRY_NAME}"


def artifact_key(relative_name: str) -> str:
    """S3 key of a build/ artifact: jars/x.jar stays jars/x.jar, wheels/y.whl becomes python/y.whl."""
    directory, file = relative_name.split("/", 1)
    return f"{'python' if directory == 'wheels' else directory}/{file}"


def render_bootstrap(cluster_name: str, region: str, bucket: str, catalog: Catalog) -> str:
    wheels = [{"key": artifact_key(f"{w.local_dir}/{w.file}"), "sha256": w.sha256} for w in catalog.wheels]
    return (
        emr.templates()
        .get_template("emr/bootstrap.sh.j2")
        .render(
            cluster_name=cluster_name,
            region=region,
            bucket=bucket,
            wheels=wheels,
            site_dir=emr.SITE_DIR,
            python=emr.NODE_PYTHON,
        )
    )


def job_package_bytes(source: Path) -> bytes:
    """A reproducible zip of the package (fixed timestamps and order): same code, same bytes, same version."""
    files = sorted(p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(
                f"{source.name}/{path.relative_to(source).as_posix()}", date_time=(1980, 1, 1, 0, 0, 0)
            )
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def build_job_package(source: Path, out_dir: Path) -> JobPackage:
    """Zip the job into out_dir under a content-hash version (written once; rebuilt only when the code changes)."""
    if not (source / JOB_ENTRY_SOURCE).is_file():
        raise pulumi.RunError(f"the streaming job is missing: {source / JOB_ENTRY_SOURCE} not found")
    body = job_package_bytes(source)
    version = hashlib.sha256(body).hexdigest()[:12]
    zip_path = out_dir / version / f"{JOB_PACKAGE}.zip"
    if not zip_path.is_file() or zip_path.read_bytes() != body:
        zip_path.parent.mkdir(parents=True, exist_ok=True)
        temp = zip_path.with_suffix(".zip.tmp")
        temp.write_bytes(body)
        temp.replace(zip_path)
    return JobPackage(version=version, zip_path=zip_path, entry_path=source / JOB_ENTRY_SOURCE)


def preflight(catalog: Catalog, build_dir: Path) -> None:
    """Stop a real preview/up before any resource when build/ lacks a verified jar or wheel."""
    missing = missing_or_modified(catalog, build_dir)
    if missing:
        raise pulumi.RunError(
            f"{len(missing)} job artifact(s) missing or not verified in {build_dir}: {', '.join(missing)}. "
            "Run `blueprint artifacts fetch` first (it downloads and verifies the pinned jars and wheels)."
        )


def certificates_uri(cfg: SparkConfig, storage: Storage) -> str:
    """Where EMR fetches the in-transit PEM zip: the configured URI, else a fixed key in the artifacts bucket."""
    return cfg.tls_certificates_s3_uri or storage.uri("artifacts", TLS_CERTIFICATES_KEY)


def preflight_certificates(uri: str, s3: Any) -> None:
    """Stop a real preview/up when the in-transit certificates are missing (EMR would fail only after minutes).

    Only a definite "not there" stops the run; anything else (no permission to look) is a warning.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, key = uri.removeprefix("s3://").partition("/")
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code not in ("404", "NoSuchKey", "NoSuchBucket"):
            pulumi.log.warn(
                f"could not check the in-transit certificates at {uri} ({code}); EMR fails at launch if they are missing"
            )
            return
        raise pulumi.RunError(
            f"in-transit encryption needs a zip of PEM files (privateKey.pem, certificateChain.pem, "
            f"trustedCertificates.pem; e.g. issued by AWS Private CA) at {uri}, and there is none. Upload it "
            f"(`aws s3 cp certs.zip {uri}`; on a new stack create the artifacts bucket first with "
            "`pulumi up --target <its URN>`), or point spark.tlsCertificatesS3Uri at an existing zip."
        ) from None
    except BotoCoreError as exc:
        pulumi.log.warn(f"could not check the in-transit certificates at {uri}: {exc}")


def preflight_real_run(catalog: Catalog, build_dir: Path, cfg: SparkConfig, region: str, storage: Storage) -> None:
    """Both preflight checks, on a real preview/up only: the offline plan and the tests have no build/ and no AWS."""
    if under_mocks():
        return
    preflight(catalog, build_dir)
    if cfg.in_transit_encryption:
        preflight_certificates(certificates_uri(cfg, storage), _s3_client(region))


def _s3_client(region: str) -> Any:
    import boto3

    return boto3.client("s3", region_name=region)


def under_mocks() -> bool:
    """True in the offline plan and tests, where build/ need not be filled."""
    from pulumi.runtime.mocks import MockMonitor
    from pulumi.runtime.settings import get_monitor

    return isinstance(get_monitor(), MockMonitor)
