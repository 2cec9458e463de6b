import os
import time

from metaflow import FlowSpec, card, current, environment, step, timeout


class DecoratorsFlow(FlowSpec):
    """Decorators a spin applies (as metaflow spin does), driven by environment
    variables so that a test needs no edits: SLEEP_S, FAIL."""

    @environment(vars={"GREETING": "hello"})
    @step
    def start(self):
        self.greeting = os.environ.get("GREETING")
        self.next(self.slow)

    @timeout(seconds=1)
    @step
    def slow(self):
        self.started = True
        time.sleep(float(os.environ.get("SLEEP_S", "0")))
        self.next(self.carded)

    @card
    @step
    def carded(self):
        self.value = 42
        self.attempt = current.retry_count
        if os.environ.get("FAIL"):
            raise RuntimeError("asked to fail")
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    DecoratorsFlow()
