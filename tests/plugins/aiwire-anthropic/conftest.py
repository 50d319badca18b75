"""Fixtures for the aiwire-anthropic tests; helpers live in anthropic_helpers.py
(a unique module name, so that plugin test folders never shadow each other)."""

from __future__ import annotations

from anthropic_helpers import default_cassette_name, vcr_cassette_dir

__all__ = ["default_cassette_name", "vcr_cassette_dir"]
