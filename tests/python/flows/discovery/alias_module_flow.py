import metaflow as mf


class AliasModuleFlow(mf.FlowSpec):
    alpha = mf.Parameter("alpha", default=1, type=int)
    settings = mf.Config("settings", default_value={"scale": 3})

    @mf.step
    def start(self):
        self.x = self.alpha * self.settings.scale
        self.next(self.end)

    @mf.step
    def end(self):
        print("x =", self.x)


if __name__ == "__main__":
    AliasModuleFlow()
