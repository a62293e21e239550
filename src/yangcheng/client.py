"""Python client of the platform's REST API, typed with the API's own models.

>>> from yangcheng.client import Client
>>> with Client("http://127.0.0.1:8000", api_key="yc_...") as yc:
...     yc.invoke("finance.identity.documents", {"mobile": "13800138000"})
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from yangcheng.platform.schemas import (
    Catalog,
    Health,
    JobInfo,
    JobResults,
    KeyCreate,
    KeyCreated,
    KeyInfo,
    Me,
    Stats,
    Usage,
)

M = TypeVar("M", bound=BaseModel)


class ApiError(RuntimeError):
    """A non-2xx answer; ``detail`` is the server's explanation (for 422, per field)."""

    def __init__(self, status_code: int, detail: Any, retry_after_s: float | None = None) -> None:
        super().__init__(f"HTTP {status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail
        self.retry_after_s = retry_after_s


class Client:
    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        api_key: str | None = None,
        *,
        timeout_s: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(
            base_url=base_url, headers=headers, timeout=timeout_s, transport=transport
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail")
            except ValueError:
                detail = response.text
            retry = response.headers.get("Retry-After")
            raise ApiError(response.status_code, detail, float(retry) if retry else None)
        return response.json()

    def _get(self, path: str, model: type[M], **params: Any) -> M:
        return model.model_validate(self._call("GET", path, params=params or None))

    # platform
    def health(self) -> Health:
        return self._get("/health", Health)

    def catalog(self) -> Catalog:
        return self._get("/v1/catalog", Catalog)

    def me(self) -> Me:
        return self._get("/v1/me", Me)

    def stats(self) -> Stats:
        return self._get("/v1/stats", Stats)

    def usage(self, days: int = 30) -> Usage:
        return self._get("/v1/usage", Usage, days=days)

    # capabilities
    def invoke(self, capability: str, request: BaseModel | dict[str, Any]) -> dict[str, Any]:
        """Call a capability; pass its request model (or a dict) and get the JSON answer."""
        body = (
            request.model_dump(mode="json", exclude_none=True)
            if isinstance(request, BaseModel)
            else request
        )
        result: dict[str, Any] = self._call(
            "POST", f"/v1/capabilities/{capability}:invoke", json=body
        )
        return result

    def invoke_typed(self, capability: str, request: BaseModel, response_model: type[M]) -> M:
        return response_model.model_validate(self.invoke(capability, request))

    # jobs
    def submit_job(self, capability: str, items: list[dict[str, Any]] | list[BaseModel]) -> JobInfo:
        body = [
            i.model_dump(mode="json", exclude_none=True) if isinstance(i, BaseModel) else i
            for i in items
        ]
        return JobInfo.model_validate(
            self._call("POST", "/v1/jobs", json={"capability": capability, "items": body})
        )

    def job(self, job_id: str) -> JobInfo:
        return self._get(f"/v1/jobs/{job_id}", JobInfo)

    def jobs(self, limit: int = 50, offset: int = 0) -> list[JobInfo]:
        return [
            JobInfo.model_validate(j)
            for j in self._call("GET", "/v1/jobs", params={"limit": limit, "offset": offset})
        ]

    def job_results(self, job_id: str, offset: int = 0, limit: int = 100) -> JobResults:
        return self._get(f"/v1/jobs/{job_id}/results", JobResults, offset=offset, limit=limit)

    def cancel_job(self, job_id: str) -> JobInfo:
        return JobInfo.model_validate(self._call("POST", f"/v1/jobs/{job_id}:cancel"))

    def wait(self, job_id: str, timeout_s: float = 600.0, poll_s: float = 0.2) -> JobInfo:
        """Poll until the job is no longer queued or running."""
        deadline = time.monotonic() + timeout_s
        while True:
            info = self.job(job_id)
            if info.state not in ("queued", "running"):
                return info
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {info.state} after {timeout_s} s")
            time.sleep(poll_s)

    # keys (admin scope)
    def create_key(self, request: KeyCreate) -> KeyCreated:
        return KeyCreated.model_validate(
            self._call("POST", "/v1/keys", json=request.model_dump(mode="json"))
        )

    def list_keys(self) -> list[KeyInfo]:
        return [KeyInfo.model_validate(k) for k in self._call("GET", "/v1/keys")]

    def revoke_key(self, key_id: int) -> KeyInfo:
        return KeyInfo.model_validate(self._call("DELETE", f"/v1/keys/{key_id}"))
