"""@environment(vars=...): the variables are set while the step runs."""

import os

from metaflow import FlowSpec, environment, step


class EnvironmentFlow(FlowSpec):
    @environment(vars={"COMPAT_GREETING": "hello", "COMPAT_LEVEL": "3"})
    @step
    def start(self):
        self.greeting = os.environ.get("COMPAT_GREETING")
        self.level = int(os.environ.get("COMPAT_LEVEL", "0"))
        self.next(self.end)

    @step
    def end(self):
        self.greeting_in_end = os.environ.get("COMPAT_GREETING")


if __name__ == "__main__":
    EnvironmentFlow()
