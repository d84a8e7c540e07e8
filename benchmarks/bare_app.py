"""The baseline for ingest_bench.py: a bare Starlette app that reads the body and answers 200, nothing else."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def receive(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"received": True})


app = Starlette(routes=[Route("/{path:path}", receive, methods=["POST"])])
