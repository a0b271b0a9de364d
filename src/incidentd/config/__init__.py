"""Settings from the TOML config file and INCIDENTD_* environment variables (the environment wins).

Every section is read once, at start, into a typed value with its defaults (config/sections.py and its
neighbours), so a bad setting stops the process before it serves anything, and no code below reads the file.
"""

from incidentd.config.credentials import DEV_CREDENTIAL, parse_credentials
from incidentd.config.logs import LogSettings
from incidentd.config.reference import setting_names
from incidentd.config.settings import Settings, default_database_path, from_toml, load
from incidentd.config.values import ConfigError

__all__ = [
    "DEV_CREDENTIAL",
    "ConfigError",
    "LogSettings",
    "Settings",
    "default_database_path",
    "from_toml",
    "load",
    "parse_credentials",
    "setting_names",
]
