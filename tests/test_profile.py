"""Settings errors name where the bad value came from: the `--set` key or the profile line."""

from __future__ import annotations

import pytest

from config.profile import load_settings
from tasks.errors import SettingsError


def test_a_section_check_blames_the_override_it_names(tmp_path):
    with pytest.raises(SettingsError) as err:
        load_settings("demo", {"run.runs_root": str(tmp_path), "run.top_k": 80})
    assert str(err.value).startswith("--set run.top_k: run.top_k (80) must not exceed")


def test_a_section_check_on_profile_values_names_their_line_not_another_override(tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text("dataset:\n  corpus: c\n  queries: q\nrun:\n  fetch_k: 5\n  top_k: 8\n")
    with pytest.raises(SettingsError) as err:
        load_settings(profile, {"run.runs_root": str(tmp_path / "runs")})
    assert str(err.value) == (
        f"{profile}:6: field 'run.top_k': run.top_k (8) must not exceed run.fetch_k (5)"
    )


def test_an_override_inside_a_field_is_still_blamed(tmp_path):
    with pytest.raises(SettingsError) as err:
        load_settings("demo", {"run.storage_options.secret": "x"})
    assert str(err.value).startswith("--set run.storage_options.secret: ")


def test_a_section_check_naming_no_given_setting_blames_what_was_set_there():
    # The demo profile sets no reranker.model: the backend just chosen is what needs one.
    with pytest.raises(SettingsError) as err:
        load_settings("demo", {"reranker.backend": "flag"})
    assert str(err.value) == "--set reranker.backend: reranker.model is required for backend 'flag'"
