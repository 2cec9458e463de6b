from metaflow import FlowSpec, Parameter, step


class TypoFlow(FlowSpec):
    rate = Parameter("rate", default=0.1)

    @step
    def start(self):
        self.total = 10 * self.rate
        self.next(self.end)

    @step
    def end(self):
        print(self.totl)  # MISTAKE: undefined-artifact


if __name__ == "__main__":
    TypoFlow()
