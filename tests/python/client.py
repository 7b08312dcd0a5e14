#!/usr/bin/env python3
"""A foreign (Python, grpcio) client of fazhi's gRPC API v1.

Generates the Python stubs from ``proto/fazhi/v1/fazhi.proto`` with ``grpc_tools.protoc`` into a
temporary directory (nothing generated is committed), submits a report, watches its job until it
is done, and reads the assessment.

    pip install -r tests/python/requirements.txt
    python tests/python/client.py examples/reports/2024-county-wangchuan.txt \
        --server 127.0.0.1:50051 [--api-key KEY]
"""

from __future__ import annotations

import argparse
import importlib
import mimetypes
import os
import pathlib
import sys
import tempfile
import uuid

import grpc

REPO = pathlib.Path(__file__).resolve().parents[2]
PROTO_DIR = REPO / "proto"
PROTO_FILE = "fazhi/v1/fazhi.proto"

MEDIA_TYPES = {
    ".txt": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

_stubs = None


def load_stubs(out_dir: str | None = None):
    """Runs protoc (from grpcio-tools) on the fazhi proto and imports the result.

    Returns ``(fazhi_pb2, fazhi_pb2_grpc)``.
    """
    global _stubs
    if _stubs is not None:
        return _stubs
    from grpc_tools import protoc
    import importlib.resources

    out = out_dir or tempfile.mkdtemp(prefix="fazhi-py-stubs-")
    well_known = str(importlib.resources.files("grpc_tools") / "_proto")
    rc = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{PROTO_DIR}",
            f"-I{well_known}",
            f"--python_out={out}",
            f"--grpc_python_out={out}",
            PROTO_FILE,
        ]
    )
    if rc != 0:
        raise RuntimeError(f"protoc failed with exit code {rc}")
    sys.path.insert(0, out)
    pb2 = importlib.import_module("fazhi.v1.fazhi_pb2")
    pb2_grpc = importlib.import_module("fazhi.v1.fazhi_pb2_grpc")
    _stubs = (pb2, pb2_grpc)
    return _stubs


def connect(server: str):
    """A plaintext channel and a ReportService stub."""
    _, pb2_grpc = load_stubs()
    target = server.split("://", 1)[-1]
    options = [
        ("grpc.max_receive_message_length", 64 * 1024 * 1024),
        ("grpc.max_send_message_length", 64 * 1024 * 1024),
    ]
    channel = grpc.insecure_channel(target, options=options)
    # Call credentials need a TLS channel; on plain loopback the key goes as per-call metadata
    # (see `metadata`).
    return channel, pb2_grpc.ReportServiceStub(channel)


def metadata(api_key: str | None):
    """Per-call metadata carrying the API key as ``authorization: Bearer KEY``."""
    return (("authorization", f"Bearer {api_key}"),) if api_key else ()


def submit_request(path: pathlib.Path, request_id: str = "", checklist_id: str = ""):
    pb2, _ = load_stubs()
    media = MEDIA_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or ""
    return pb2.SubmitReportRequest(
        request_id=request_id,
        document=pb2.Document(content=path.read_bytes(), media_type=media, filename=path.name),
        checklist_id=checklist_id,
        labels={"client": "python"},
    )


DONE = {"SUCCEEDED", "FAILED", "CANCELLED"}


def state_name(job) -> str:
    pb2, _ = load_stubs()
    return pb2.JobState.Name(job.state)


def watch_until_done(stub, job, api_key: str | None = None, timeout: float = 60.0):
    """Follows the job with WatchJob until it reaches a terminal state; returns the last Job."""
    pb2, _ = load_stubs()
    if state_name(job) in DONE:
        return job
    last = job
    for update in stub.WatchJob(
        pb2.GetJobRequest(id=job.id), timeout=timeout, metadata=metadata(api_key)
    ):
        last = update
        if state_name(update) in DONE:
            break
    return last


def submit_and_assess(
    stub, path: pathlib.Path, api_key: str | None = None, request_id: str | None = None,
    timeout: float = 60.0,
):
    """Submit → watch → GetAssessment. Returns ``(first_job, final_job, assessment_or_None)``."""
    pb2, _ = load_stubs()
    req = submit_request(path, request_id=request_id or str(uuid.uuid4()))
    job = stub.SubmitReport(req, timeout=30, metadata=metadata(api_key))
    final = watch_until_done(stub, job, api_key=api_key, timeout=timeout)
    assessment = None
    if state_name(final) == "SUCCEEDED":
        assessment = stub.GetAssessment(
            pb2.GetAssessmentRequest(job_id=final.id), timeout=30, metadata=metadata(api_key)
        )
    return job, final, assessment


def summary(assessment) -> str:
    pb2, _ = load_stubs()
    lines = [
        f"{assessment.report.title or '(untitled)'} — {assessment.report.issuer} {assessment.report.year}",
        f"score {assessment.score:.1f}  grade {assessment.grade}  checklist {assessment.checklist_id}",
        "parts: " + ", ".join(f"{p.id}={'yes' if p.present else 'no'}" for p in assessment.required_parts),
        "areas: " + ", ".join(f"{a.id}:{pb2.Coverage.Name(a.status)}" for a in assessment.areas),
    ]
    for f in assessment.findings:
        lines.append(f"  [{pb2.Severity.Name(f.severity)}] {f.code}: {f.message}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", type=pathlib.Path)
    ap.add_argument("--server", default=os.environ.get("FAZHI_SERVER", "127.0.0.1:50051"))
    ap.add_argument("--api-key", default=os.environ.get("FAZHI_API_KEY"))
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args(argv)
    channel, stub = connect(args.server)
    with channel:
        job, final, assessment = submit_and_assess(
            stub, args.file, api_key=args.api_key, timeout=args.timeout
        )
        print(f"job {job.id}: {state_name(job)}{' (deduplicated)' if job.deduplicated else ''}")
        if assessment is None:
            print(f"job {final.id} ended {state_name(final)}: {final.error_code} {final.error_message}",
                  file=sys.stderr)
            return 1
        print(summary(assessment))
    return 0


if __name__ == "__main__":
    sys.exit(main())
