from metaflow import FlowSpec, step


class LoopTypoFlow(FlowSpec):
    @step
    def start(self):
        self.count = 0
        self.next(self.loop)

    @step
    def loop(self):
        self.count += 1
        self.again = self.count < 3
        self.next({True: self.loop, False: self.end}, condition="again")

    @step
    def end(self):
        print(self.cont)  # MISTAKE: undefined-artifact


if __name__ == "__main__":
    LoopTypoFlow()
