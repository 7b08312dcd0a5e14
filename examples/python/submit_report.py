#!/usr/bin/env python3
"""Minimal fazhi client in Python: submit a report, watch the job, print the assessment.

    pip install grpcio==1.85.1 grpcio-tools==1.85.1
    fazhi serve &                                   # or a gateway + workers
    python examples/python/submit_report.py examples/reports/2024-county-wangchuan.txt

Options: --server HOST:PORT (default 127.0.0.1:50051), --api-key KEY (sent as
`authorization: Bearer KEY` when the gateway has an auth file). The stubs are generated from
proto/fazhi/v1/fazhi.proto into a temporary directory on each run. The fuller client used by
the tests is tests/python/client.py.
"""

import argparse
import importlib
import importlib.resources
import pathlib
import sys
import tempfile
import uuid

import grpc
from grpc_tools import protoc

REPO = pathlib.Path(__file__).resolve().parents[2]


def stubs():
    out = tempfile.mkdtemp(prefix="fazhi-stubs-")
    well_known = importlib.resources.files("grpc_tools") / "_proto"
    if protoc.main(["protoc", f"-I{REPO / 'proto'}", f"-I{well_known}", f"--python_out={out}",
                    f"--grpc_python_out={out}", "fazhi/v1/fazhi.proto"]) != 0:
        sys.exit("protoc failed")
    sys.path.insert(0, out)
    return (importlib.import_module("fazhi.v1.fazhi_pb2"),
            importlib.import_module("fazhi.v1.fazhi_pb2_grpc"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file", type=pathlib.Path)
    ap.add_argument("--server", default="127.0.0.1:50051")
    ap.add_argument("--api-key")
    args = ap.parse_args()
    pb2, pb2_grpc = stubs()
    md = [("authorization", f"Bearer {args.api_key}")] if args.api_key else []
    media = {".html": "text/html", ".htm": "text/html", ".pdf": "application/pdf",
             ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             ".txt": "text/plain"}.get(args.file.suffix.lower(), "")

    with grpc.insecure_channel(args.server) as channel:
        api = pb2_grpc.ReportServiceStub(channel)
        try:
            job = api.SubmitReport(pb2.SubmitReportRequest(
                request_id=str(uuid.uuid4()),  # retry-safe: the same id returns the same job
                document=pb2.Document(content=args.file.read_bytes(), media_type=media,
                                      filename=args.file.name),
            ), timeout=30, metadata=md)
        except grpc.RpcError as e:
            sys.exit(f"rejected: {e.code().name}: {e.details()}")
        print(f"job {job.id} {pb2.JobState.Name(job.state)}"
              + (" (deduplicated)" if job.deduplicated else ""))

        for job in api.WatchJob(pb2.GetJobRequest(id=job.id), timeout=120, metadata=md):
            print(f"  → {pb2.JobState.Name(job.state)}")
        if job.state != pb2.SUCCEEDED:
            sys.exit(f"job ended {pb2.JobState.Name(job.state)}: {job.error_code} {job.error_message}")

        a = api.GetAssessment(pb2.GetAssessmentRequest(job_id=job.id), timeout=30, metadata=md)
        print(f"{a.report.title} | {a.report.issuer} | {a.report.year}")
        print(f"score {a.score:.1f} grade {a.grade} ({a.checklist_id})")
        for p in a.required_parts:
            print(f"  part {p.id:<18} {'present' if p.present else 'MISSING'}")
        for area in a.areas:
            print(f"  area {area.id:>2} {pb2.Coverage.Name(area.status):<12} {area.score:5.1f}  {area.title}")
        for f in a.findings:
            print(f"  [{pb2.Severity.Name(f.severity)}] {f.code}: {f.message}")


if __name__ == "__main__":
    main()
