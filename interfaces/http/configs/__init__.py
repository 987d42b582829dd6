"""Configs: the rulebook, its versions, presets and the rule editors."""
