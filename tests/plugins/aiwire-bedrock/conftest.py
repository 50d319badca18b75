"""Fixtures for the aiwire-bedrock tests; helpers live in bedrock_helpers.py
(a unique module name, so that plugin test folders never shadow each other)."""

from __future__ import annotations

from bedrock_helpers import aws_env

__all__ = ["aws_env"]
