"""@retry: a step that fails on its first attempt and succeeds on the retry."""

from metaflow import FlowSpec, current, retry, step


class RetryFlow(FlowSpec):
    @step
    def start(self):
        self.attempts_needed = 1
        self.next(self.flaky)

    @retry(times=2, minutes_between_retries=0)
    @step
    def flaky(self):
        if current.retry_count < self.attempts_needed:
            raise RuntimeError(f"transient failure on attempt {current.retry_count}")
        self.attempt = current.retry_count
        self.next(self.end)

    @step
    def end(self):
        self.summary = f"succeeded on attempt {self.attempt}"


if __name__ == "__main__":
    RetryFlow()
