"""Config loading: model-compose compatible YAML plus hooktui's `verify`/`forward`/`respond` extensions."""

from hookdeck_tui.config.loader import (
    BUILTIN_DEFAULT_YAML,
    BUILTIN_LABEL,
    Config,
    ConfigError,
    ListenerConfig,
    Route,
    WorkflowConfig,
    check_config_text,
    find_config_file,
    load_config,
    parse_config,
)
from hookdeck_tui.config.yaml_source import ConfigProblem

__all__ = [
    "BUILTIN_DEFAULT_YAML", "BUILTIN_LABEL", "Config", "ConfigError", "ConfigProblem", "ListenerConfig", "Route",
    "WorkflowConfig", "check_config_text", "find_config_file", "load_config", "parse_config",
]
