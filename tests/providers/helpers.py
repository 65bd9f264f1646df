"""Shared by the provider and contract tests: fake-but-realistic credentials and fixtures."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# Twilio SIDs are two letters + 32 hex digits; Prism checks the patterns on path SIDs.
ACCOUNT_SID = "AC3f1c2a9be0d84c7f9a6b5e4d3c2b1a09"
AUTH_TOKEN = "b7e3c1d9f2a84e6c9d0b1a2f3e4c5d6a"
API_KEY_SID = "SK0f9e8d7c6b5a49382716a5b4c3d2e1f0"
API_SECRET = "kP3vQ8sT1wX6zA9cE2gJ5mN7rU0yB4dF"
NUMBER_SID = "PN8d0b2c4e6f8a0b1c2d3e4f5a6b7c8d9e"
ADDRESS_SID = "AD5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
TELNYX_KEY = "KEY0193A7C2E5F84B6D9A1C3E5F7B9D1F3_Zx8Qw2Er4Ty6Ui8Op0"


def load(provider: str, name: str) -> Any:
    """The parsed JSON of ``tests/fixtures/<provider>/<name>.json``."""
    return json.loads((FIXTURES / provider / f"{name}.json").read_text())


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
