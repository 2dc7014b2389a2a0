"""Settings from the environment: the contract's variables, and a clear refusal for unusable values."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from luma_mcp.settings import DEFAULT_BASE_URL, Settings, SettingsError


def test_the_contract_variables_are_read(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "LUMA_API_KEY": " luma-api-alias ",
            "LUMA_MCP_OUTPUT_DIR": str(tmp_path / "out"),
            "LUMA_MCP_INPUT_DIRS": f"{tmp_path / 'a'}:{tmp_path / 'b'}",
            "LUMA_MCP_WAIT_SECONDS": "30",
            "LUMA_MCP_MAX_COST_USD": "1.5",
            "LUMA_MCP_BUDGET_USD": "10",
            "LUMA_MCP_SANDBOX": "1",
            "LUMA_MCP_CONFIRM_ABOVE_USD": "off",
        }
    )
    assert settings.api_key is not None and settings.api_key.get_secret_value() == "luma-api-alias"
    assert "luma-api-alias" not in repr(settings)
    assert settings.output_dir == tmp_path / "out" and settings.input_dirs == (tmp_path / "a", tmp_path / "b")
    assert (settings.wait_seconds, settings.max_cost_usd, settings.budget_usd) == (30, 1.5, 10)
    assert settings.sandbox and settings.confirm_above_usd is None
    assert settings.base_url == DEFAULT_BASE_URL and settings.history_path.name == "sandbox-history.sqlite3"


def test_the_agents_key_wins_over_the_alias() -> None:
    settings = Settings.from_env({"LUMA_AGENTS_API_KEY": "luma-api-main", "LUMA_API_KEY": "luma-api-alias"})
    assert settings.api_key is not None and settings.api_key.get_secret_value() == "luma-api-main"


@pytest.mark.parametrize(("name", "value"), [("LUMA_MCP_WAIT_SECONDS", "601"), ("LUMA_MCP_MAX_COST_USD", "cheap")])
def test_unusable_values_name_the_variable_and_the_range(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_the_cli_refuses_a_bad_value_without_a_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "luma_mcp"],
        env={"LUMA_MCP_WAIT_SECONDS": "forever", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0 and "LUMA_MCP_WAIT_SECONDS" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_only_a_threshold_the_user_set_counts_as_explicit() -> None:
    assert not Settings.from_env({}).confirm_above_explicit
    assert Settings.from_env({"LUMA_MCP_CONFIRM_ABOVE_USD": "2"}).confirm_above_explicit
    assert not Settings.from_env({"LUMA_MCP_CONFIRM_ABOVE_USD": "off"}).confirm_above_explicit
