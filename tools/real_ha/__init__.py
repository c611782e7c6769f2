"""Tooling around a real, offline Home Assistant used by the contract tests."""
