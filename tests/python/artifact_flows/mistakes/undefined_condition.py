from metaflow import FlowSpec, step


class ConditionTypoFlow(FlowSpec):
    @step
    def start(self):
        self.route = "fast"
        self.next(
            {"fast": self.fast, "slow": self.end},
            condition="rout",  # MISTAKE: undefined-condition
        )

    @step
    def fast(self):
        self.speed = 1
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ConditionTypoFlow()
