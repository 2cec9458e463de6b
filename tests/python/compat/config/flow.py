"""A Config read with a custom parser, used in decorators through config_expr and
attribute access, and read in steps; a second Config in JSON, overridden on the
command line with --config-value."""

import os

from metaflow import Config, FlowSpec, config_expr, environment, retry, step


def parse_settings(text):
    """'key = value' lines; values that look like integers become ints."""
    settings = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        settings[key] = int(value) if value.lstrip("-").isdigit() else value
    return settings


class ConfigFlow(FlowSpec):
    settings = Config("settings", default="settings.cfg", parser=parse_settings)
    model = Config("model", default_value={"depth": 3, "name": "base"})

    @environment(vars={"RUN_MODE": config_expr("settings.mode")})
    @retry(times=settings.retries)
    @step
    def start(self):
        self.mode = os.environ.get("RUN_MODE")
        self.depth = self.model.depth * self.settings.scale
        self.model_name = self.model.name
        self.next(self.end)

    @step
    def end(self):
        self.settings_seen = dict(self.settings)
        self.summary = f"{self.model_name}:{self.depth}:{self.mode}"


if __name__ == "__main__":
    ConfigFlow()
