"""The /api/jobs routes: submit (202 + Location), list, look up, cancel; only the owner sees a job."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse

from gateway.documents.forms import file_parts
from gateway.routes import GatewayDep, UserDep, open_for_work, read_body
from mesh.tokens import bearer_token

router = APIRouter(prefix="/api/jobs", tags=["jobs"], dependencies=[Depends(open_for_work)])


@router.post("", status_code=202)
async def submit(
    request: Request,
    gateway: GatewayDep,
    user: UserDep,
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """One `file` (PDF, TIFF or image) or several `image` fields; the pages are read in the background."""
    s = gateway.settings
    body = await read_body(request, s.max_document_bytes, s.upload_seconds)
    parts = file_parts(request.headers.get("content-type", ""), body, max_parts=s.max_pages)
    query = request.scope.get("query_string", b"").decode("latin-1")
    job = await gateway.jobs.submit(user.user_id, bearer_token(authorization), parts, query)
    return JSONResponse(job, status_code=202, headers={"Location": f"/api/jobs/{job['id']}"})


@router.get("")
async def list_jobs(gateway: GatewayDep, user: UserDep) -> dict[str, Any]:
    """The caller's recent jobs, newest first (no pages)."""
    return {"jobs": await gateway.jobs.list(user.user_id)}


@router.get("/{job_id}")
async def get_job(job_id: str, gateway: GatewayDep, user: UserDep) -> dict[str, Any]:
    """State, progress and the pages read so far, in page order."""
    return await gateway.jobs.get(user.user_id, job_id)


@router.delete("/{job_id}", status_code=204)
async def cancel_job(job_id: str, gateway: GatewayDep, user: UserDep) -> Response:
    """Cancel the pages that have not run; the job and what it read stay until they expire."""
    await gateway.jobs.cancel(user.user_id, job_id)
    return Response(status_code=204)
