from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from user_service.config import UserSettings
from user_service.main import create_app


@pytest.fixture
def settings(tmp_path: Path) -> UserSettings:
    return UserSettings(data_dir=tmp_path, nacos_enabled=False)


@pytest.fixture
def client(settings: UserSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c
