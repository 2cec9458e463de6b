"""@exit_hook: functions Metaflow calls when the run ends."""

from pathlib import Path

from metaflow import FlowSpec, exit_hook, step


def record_success(run=None):
    Path("hook-ran.txt").write_text(f"success {run.id if run else None}\n")


@exit_hook(on_success=[record_success])
class ExitHookFlow(FlowSpec):
    @step
    def start(self):
        self.numbers = [3, 1, 2]
        self.next(self.end)

    @step
    def end(self):
        self.ordered = sorted(self.numbers)


if __name__ == "__main__":
    ExitHookFlow()
