"""Counterpart of Metaflow's spin test flow TimeoutConfigFlow (test/unit/spin):
@timeout's limit comes from a Config file; the step sleeps for a while."""

import time

from metaflow import Config, FlowSpec, step, timeout


class TimeoutConfigFlow(FlowSpec):
    config = Config("config", default="limits.json")

    @timeout(seconds=config.timeout)
    @step
    def start(self):
        print(f"allowed {self.config.timeout} s")
        time.sleep(3)
        self.slept = True
        self.next(self.end)

    @step
    def end(self):
        self.config_seen = dict(self.config)


if __name__ == "__main__":
    TimeoutConfigFlow()
